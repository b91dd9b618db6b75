package dev.agentmesh.runstate.service;

import dev.agentmesh.core.MeshHeaders;
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
                given().when().get("/runs/run-rest").then().statusCode(200)
                        .body("status", equalTo("COMPLETED"))
                        .body("stages.'row-validation'.counts.'rows.out'", equalTo(998)));
        given().when().get("/runs").then().statusCode(200).body("runId", hasItem("run-rest"));
        given().when().get("/runs/no-such-run").then().statusCode(404);

        var dead = TopicProbe.readUntil(bootstrap, Topics.DEAD_LETTER.name(), Duration.ofSeconds(30),
                seen -> seen.stream().anyMatch(r -> Arrays.equals(garbage, r.value())));
        var record = dead.stream().filter(r -> Arrays.equals(garbage, r.value())).findFirst().orElseThrow();
        assertEquals("run-state", TopicProbe.header(record, MeshHeaders.DLQ_SERVICE));
        assertEquals(Topics.RUN_EVENTS.name(), TopicProbe.header(record, MeshHeaders.DLQ_TOPIC));
        assertTrue(TopicProbe.header(record, MeshHeaders.DLQ_REASON).contains("magic byte"),
                TopicProbe.header(record, MeshHeaders.DLQ_REASON));
    }

    @Test
    void readinessReflectsTheStreamsApp() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                given().when().get("/q/health/ready").then().statusCode(200));
    }
}
