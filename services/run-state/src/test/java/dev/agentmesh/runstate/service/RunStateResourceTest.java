package dev.agentmesh.runstate.service;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.testing.TestGrants;
import java.util.List;
import java.util.Map;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.testing.EmbeddedKafkaResource;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.*;

/** run-state against a real embedded broker: events in, state out over REST. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
class RunStateResourceTest {

    @Test
    void eventsOnTheBrokerBecomeRunStateOverRest() {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        byte[] garbage = {7, 7, 7};
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-rest".getBytes(), garbage);
        for (RunEvent e : RunStateTopologyTest.run("run-rest", false)) {
            TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-rest".getBytes(), codec.encode(e));
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                given().auth().preemptive().basic("operator", "operator-local").when().get("/runs/run-rest").then().statusCode(200)
                        .body("status", equalTo("COMPLETED"))
                        .body("stages.'row-validation'.counts.'rows.out'", equalTo(998)));
        given().auth().preemptive().basic("operator", "operator-local").when().get("/runs").then().statusCode(200).body("runId", hasItem("run-rest"));
        given().auth().preemptive().basic("operator", "operator-local").when().get("/runs/no-such-run").then().statusCode(404);
        given().when().get("/runs/run-rest").then().statusCode(401);
        // The Streams app's lag is a number once the broker has answered, not NaN as the client's records-lag-max.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            String lag = given().when().get("/q/metrics").then().statusCode(200).extract().asString().lines()
                    .filter(l -> l.startsWith("mesh_consumer_lag{group=\"run-state\"}")).findFirst().orElse("absent");
            assertTrue(lag.matches("mesh_consumer_lag\\{group=\"run-state\"} \\d+\\.\\d+"), lag);
        });
        given().auth().preemptive().basic("operator", "wrong").when().get("/runs").then().statusCode(401);

        var dead = TopicProbe.readUntil(bootstrap, Topics.DEAD_LETTER.name(), Duration.ofSeconds(30),
                seen -> seen.stream().anyMatch(r -> Arrays.equals(garbage, r.value())));
        var record = dead.stream().filter(r -> Arrays.equals(garbage, r.value())).findFirst().orElseThrow();
        assertEquals("run-state", TopicProbe.header(record, MeshHeaders.DLQ_SERVICE));
        assertEquals(Topics.RUN_EVENTS.name(), TopicProbe.header(record, MeshHeaders.DLQ_TOPIC));
        assertTrue(TopicProbe.header(record, MeshHeaders.DLQ_REASON).contains("magic byte"),
                TopicProbe.header(record, MeshHeaders.DLQ_REASON));
    }

    @Test
    void reliabilityIsComputedOverTheMostRecentEndedRunsOfAPipeline() {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        Envelopes agent = new Envelopes("row-validator", "rv-1");
        for (String runId : List.of("rel-ok", "rel-failed")) {
            Envelope trigger = new Envelopes("meshctl", "test").origin(runId, null);
            List<RunEvent> events = List.of(
                    RunEvents.triggered(trigger, "rel-test", "t", SourceKind.CSV, "x", "credit-g", List.of("row-validation"), Map.of()),
                    RunEvents.started(agent.causedBy(trigger, "started", 0), "row-validation"),
                    runId.equals("rel-ok")
                            ? RunEvents.completed(agent.causedBy(trigger, "done", 5), "row-validation", Map.of(), Map.of())
                            : RunEvents.failed(agent.causedBy(trigger, "done", 5), "row-validation", "planted", false));
            for (RunEvent e : events) {
                TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), runId.getBytes(), codec.encode(e));
            }
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                given().auth().preemptive().basic("operator", "operator-local")
                        .when().get("/runs/reliability?pipeline=rel-test&window=10").then().statusCode(200)
                        .body("runs", equalTo(2))
                        .body("stages[0].stage", equalTo("row-validation"))
                        .body("stages[0].role", equalTo("row-validator"))
                        .body("stages[0].firstAttempt.successes", equalTo(1))
                        .body("stages[0].firstAttempt.count", equalTo(2))
                        .body("predicted", equalTo(0.5f))
                        .body("measured.successes", equalTo(1)));
        given().auth().preemptive().basic("operator", "operator-local")
                .when().get("/runs/reliability?pipeline=rel-test&window=0").then().statusCode(400);
        given().when().get("/runs/reliability").then().statusCode(401);
    }

    @Test
    void aRunsCostIsRolledUpAlongTheDelegationTree() {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        List<String> chain = TestGrants.publishChain(bootstrap, EmbeddedKafkaResource.principal(), 60_000L);
        String root = chain.get(0);
        String sweep = chain.get(1);
        Envelope trigger = new Envelopes("meshctl", "test").origin("run-costs", root);
        Envelopes agent = new Envelopes("agent", "a-1");
        List<RunEvent> events = List.of(
                RunEvents.triggered(trigger, "nightly", "t", SourceKind.CSV, "x", "credit-g", List.of("a"), Map.of()),
                RunEvents.started(agent.causedBy(trigger, "root-work", 10), "a"),
                RunEvents.started(withGrant(agent.causedBy(trigger, "sweep-1", 5), sweep), "b"),
                RunEvents.started(withGrant(agent.causedBy(trigger, "sweep-2", 7), sweep), "c"));
        for (RunEvent e : events) {
            TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-costs".getBytes(), codec.encode(e));
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                given().auth().preemptive().basic("operator", "operator-local").when().get("/runs/run-costs/costs").then().statusCode(200)
                        .body("find { it.grantId == '" + sweep + "' }.direct.computeMs", equalTo(12))
                        .body("find { it.grantId == '" + sweep + "' }.parentGrantId", equalTo(root))
                        .body("find { it.grantId == '" + sweep + "' }.grantee", equalTo("sweep-orchestrator"))
                        .body("find { it.grantId == '" + root + "' }.direct.computeMs", equalTo(10))
                        .body("find { it.grantId == '" + root + "' }.subtree.computeMs", equalTo(22))
                        .body("find { it.grantId == '" + root + "' }.budget.computeMs", equalTo(60000)));
    }

    static Envelope withGrant(Envelope e, String grantId) {
        e.setGrantId(grantId);
        e.setDelegationDepth(1);
        return e;
    }

    @Test
    void readinessReflectsTheStreamsApp() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                given().when().get("/q/health/ready").then().statusCode(200)
                        .body(org.hamcrest.Matchers.containsString("\"name\": \"kafka-streams-running\",\n            \"status\": \"UP\"")));
    }
}
