package dev.agentmesh.coordinator;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.gate.AssessmentRequested;
import dev.agentmesh.gate.Disposition;
import dev.agentmesh.gate.GateDecided;
import dev.agentmesh.gate.PrincipalDecided;
import dev.agentmesh.gate.PrincipalDecision;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.kafka.GrantPublisher;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.run.DatasetPublished;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellConfig;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.sweep.SweepOutcome;
import dev.agentmesh.team.GateDecider;
import dev.agentmesh.team.Specialists;
import dev.agentmesh.testing.EmbeddedKafkaResource;
import dev.agentmesh.testing.TestGrants;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The coordinator on a real broker, with no specialists running: it asks, waits, flags, and obeys only the principal. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
class CoordinatorServiceTest {

    static MeshCodec<RunEvent> events() {
        return new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(EmbeddedKafkaResource.bootstrapServers()));
    }

    static void publish(RunEvent e) {
        TopicProbe.send(EmbeddedKafkaResource.bootstrapServers(), Topics.RUN_EVENTS.name(),
                e.getEnvelope().getRunId().getBytes(), events().encode(e));
    }

    /** A run that planned the gate, whose sweep finished with a winner, as the orchestrator reports it. */
    static Envelope sweptRun(String runId, String gateGrant) {
        Envelope trigger = new Envelopes("meshctl", "test").origin(runId, gateGrant);
        Envelopes others = new Envelopes("sweep-orchestrator", "test");
        CellConfig cell = new CellConfig("w", "logistic", "logistic", 0, 0.03, 64, 5, 42L, List.of(), null);
        publish(RunEvents.triggered(trigger, "nightly", "test", SourceKind.CSV, "x.csv", "credit-g", List.of(Stages.GATE),
                Map.of(GateDecider.PARAM_GRANT, gateGrant, GateDecider.PARAM_TIMEOUT, "PT1S")));
        publish(new RunEvent(others.causedBy(trigger, "published", 0), new DatasetPublished("file:/none/", "sha256:d",
                Map.of(), Map.of(), List.of("f"), "class", "good")));
        publish(new RunEvent(others.causedBy(trigger, "cell", 0), new CellCompleted("w", cell, 0.48, 0.76, 12.5, 900L,
                "file:/none/w", "sha256:w", List.of())));
        publish(new RunEvent(others.causedBy(trigger, "finished", 0), SweepFinished.newBuilder().setOutcome(SweepOutcome.SUCCEEDED)
                .setWinnerCellId("w").setWinnerCheckpoint("file:/none/w").setWinnerChecksum("sha256:w")
                .setWinnerValidationLoss(0.48).setRankingRule("r").setCellsSucceeded(1).setCellsFailed(0).setCellsNotRun(0).build()));
        publish(RunEvents.completed(others.causedBy(trigger, "sweep-done", 0), Stages.SWEEP, Map.of(), Map.of()));
        return trigger;
    }

    static List<RunEvent> coordinatorEvents(String runId, Predicate<List<RunEvent>> until) {
        MeshCodec<RunEvent> codec = events();
        return TopicProbe.readUntil(EmbeddedKafkaResource.bootstrapServers(), Topics.RUN_EVENTS.name(), Duration.ofSeconds(60),
                        seen -> until.test(seen.stream().filter(r -> runId.equals(new String(r.key()))).map(r -> codec.decode(r.value()))
                                .filter(e -> e.getEnvelope().getAgentRole().equals("coordinator")).toList()))
                .stream().filter(r -> runId.equals(new String(r.key()))).map(r -> codec.decode(r.value()))
                .filter(e -> e.getEnvelope().getAgentRole().equals("coordinator")).toList();
    }

    @Test
    void withNoSpecialistAnsweringTheRunIsFlaggedAndOnlyThePrincipalsRejectionFinishesIt() {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        String gateGrant = TestGrants.publishRoot(bootstrap, EmbeddedKafkaResource.principal(),
                List.of(Actions.DEPLOY, Actions.SPEND_COMPUTE), null);
        sweptRun("gate-silent", gateGrant);
        List<RunEvent> out = coordinatorEvents("gate-silent", es -> es.stream().anyMatch(e -> e.getPayload() instanceof GateDecided));
        List<AssessmentRequested> requests = out.stream().filter(e -> e.getPayload() instanceof AssessmentRequested)
                .map(e -> (AssessmentRequested) e.getPayload()).toList();
        assertEquals(Specialists.ALL, requests.stream().map(AssessmentRequested::getSpecialist).toList());
        out.stream().filter(e -> e.getPayload() instanceof AssessmentRequested)
                .forEach(e -> assertEquals(1, e.getEnvelope().getDelegationDepth(), "one level below the coordinator's root grant"));
        GateDecided decided = out.stream().map(RunEvent::getPayload).filter(p -> p instanceof GateDecided)
                .map(p -> (GateDecided) p).findFirst().orElseThrow();
        assertEquals(Disposition.RETURN_TO_PRINCIPAL, decided.getDisposition());
        assertEquals(Specialists.ALL.stream().sorted().toList(), decided.getMissing());

        // The operator's grant cannot decide; the principal's own decision grant can.
        publish(new RunEvent(new Envelopes("pipeline-operator", "test").origin("gate-silent", gateGrant),
                new PrincipalDecided(PrincipalDecision.REJECT, "operator", "not mine to decide")));
        GrantIssued decide = Grants.root(EmbeddedKafkaResource.principal(), Grants.PRINCIPAL, Grants.PRINCIPAL,
                EmbeddedKafkaResource.principal().getPublic(), Grants.scope(List.of(Actions.DECIDE), List.of("run:gate-silent"), null),
                Instant.now().plusSeconds(600), 0);
        try (GrantPublisher publisher = new GrantPublisher(bootstrap, SerdeSettings.kafkaTopicStore(bootstrap), "test")) {
            publisher.publish(decide);
        }
        publish(new RunEvent(new Envelopes(Grants.PRINCIPAL, "test").origin("gate-silent", decide.getGrantId()),
                new PrincipalDecided(PrincipalDecision.REJECT, "alice", "nobody assessed it")));
        List<RunEvent> finished = coordinatorEvents("gate-silent", es -> es.stream().anyMatch(e -> e.getPayload() instanceof StageFailed));
        StageFailed failed = finished.stream().map(RunEvent::getPayload).filter(p -> p instanceof StageFailed)
                .map(p -> (StageFailed) p).findFirst().orElseThrow();
        assertEquals("rejected by alice: nobody assessed it", failed.getReason(), "the operator's decision was not acted on");
        assertEquals(1, finished.stream().filter(e -> e.getPayload() instanceof StageFailed).count());

        // What was handled, what failed (and was dead-lettered), how long it took, and the consumer's lag.
        String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("mesh_events_handled_total{topic=\"mesh.run-events\"}"), "handled events are counted");
        assertTrue(metrics.contains("mesh_events_failed_total{exception=\"UnauthorisedActionException\",topic=\"mesh.run-events\"}"),
                "the operator's refused decision is counted as a failure");
        assertTrue(metrics.contains("mesh_dead_letter_records_total{topic=\"mesh.run-events\"}"));
        assertTrue(metrics.contains("mesh_handler_latency_seconds_count{topic=\"mesh.run-events\"}"));
        assertTrue(metrics.contains("kafka_consumer_fetch_manager_records_lag_max"), "consumer lag");
        assertTrue(metrics.contains("mesh_gate_decisions_total{disposition=\"RETURN_TO_PRINCIPAL\"}"));
    }

    @Test
    void aGrantThatDoesNotAllowDeployingFailsTheGate() {
        String noDeploy = TestGrants.publishNightlyRoot(EmbeddedKafkaResource.bootstrapServers(), EmbeddedKafkaResource.principal());
        sweptRun("gate-unauthorised", noDeploy);
        StageFailed failed = coordinatorEvents("gate-unauthorised", es -> es.stream().anyMatch(e -> e.getPayload() instanceof StageFailed))
                .stream().map(RunEvent::getPayload).filter(p -> p instanceof StageFailed).map(p -> (StageFailed) p)
                .findFirst().orElseThrow();
        assertTrue(failed.getReason().startsWith("unauthorised"), failed.getReason());
    }

    @Test
    void readyOnceItsProcessManagerRunsWithPartitions() {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                given().when().get("/q/health/ready").then().statusCode(200)
                        .body(containsString("kafka-streams-running"), containsString("mesh.run-events-")));
    }
}
