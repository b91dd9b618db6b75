package dev.agentmesh.rowvalidator;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageFailed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RowValidationAgentTest {

    final RowValidationAgent agent = new RowValidationAgent(new Envelopes("row-validator", "test-1"));

    static RunEvent trigger(SourceKind kind, String location) {
        return RunEvents.triggered(new Envelopes("meshctl", "cli").origin("run-7", "grant-1"), "nightly", "alice",
                kind, location, "credit-g", List.of(RowValidationAgent.STAGE), Map.of());
    }

    @Test
    void realCreditDataPassesWhole() {
        var outcome = agent.handle(trigger(SourceKind.CSV, PlantedRows.CREDIT_G.toString()));
        assertEquals(1000, outcome.valid().size());
        assertEquals(0, outcome.rejected().size());
        StageCompleted done = (StageCompleted) outcome.finished().getPayload();
        assertEquals(1000L, done.getCounts().get("rows.in"));
        assertEquals(1000L, done.getCounts().get("rows.out"));
        assertEquals("credit-g", done.getAudit().get("contract"));
        assertEquals("1", done.getAudit().get("contract.version"));
        assertEquals("row-validation", done.getAudit().get("plan"));
        assertEquals("run-7", outcome.valid().get(0).getEnvelope().getRunId());
        assertEquals("grant-1", outcome.valid().get(0).getEnvelope().getGrantId(), "rows act under the trigger's grant");
    }

    @Test
    void exactlyThePlantedRowsAreRejectedWithFieldReasons(@TempDir Path dir) {
        Path file = PlantedRows.write(dir, Map.of(3, PlantedRows.withAge("12"), 500, PlantedRows.withAge("old")));
        var outcome = agent.handle(trigger(SourceKind.CSV, file.toString()));
        assertEquals(998, outcome.valid().size());
        assertEquals(List.of(3L, 500L), outcome.rejected().stream().map(r -> r.row().getRowIndex()).toList());
        assertEquals("row 3 violates the data contract: age: 12.0 is below the minimum 18.0", outcome.rejected().get(0).reason());
        assertTrue(outcome.rejected().get(1).reason().contains("age: 'old' is not an integer"));
        StageCompleted done = (StageCompleted) outcome.finished().getPayload();
        assertEquals(2L, done.getCounts().get("rows.rejected"));
        assertEquals(2L, done.getCounts().get("rejected.age"));
    }

    @Test
    void handlingTheSameTriggerTwiceGivesTheSameEventIds() {
        RunEvent trigger = trigger(SourceKind.CSV, PlantedRows.CREDIT_G.toString());
        var first = agent.handle(trigger);
        var second = agent.handle(trigger);
        assertEquals(first.started().getEnvelope().getEventId(), second.started().getEnvelope().getEventId());
        assertEquals(first.valid().get(999).getEnvelope().getEventId(), second.valid().get(999).getEnvelope().getEventId());
        assertEquals(first.finished().getEnvelope().getEventId(), second.finished().getEnvelope().getEventId());
    }

    @Test
    void generatedTransactionsAreValidatedWithTheirPlantedBadRows() {
        RunEvent trigger = RunEvents.triggered(new Envelopes("meshctl", "cli").origin("run-gen", "grant-1"), "nightly", "alice",
                SourceKind.GENERATOR, "rows=5000,seed=11,bad=0.02", "transactions", List.of(RowValidationAgent.STAGE), Map.of());
        var outcome = agent.handle(trigger);
        assertEquals(5000, outcome.valid().size() + outcome.rejected().size());
        assertEquals(100, outcome.rejected().size(), 40);
        assertTrue(outcome.rejected().stream().allMatch(r -> !r.violations().isEmpty()));
    }

    @Test
    void aMissingFileAndATopicSourceWithoutItsRowsFailTheStageVisibly() {
        var missing = agent.handle(trigger(SourceKind.CSV, "/nonexistent/file.csv"));
        assertInstanceOf(StageFailed.class, missing.finished().getPayload());
        assertTrue(((StageFailed) missing.finished().getPayload()).getReason().contains("/nonexistent/file.csv"));
        var topic = agent.handle(trigger(SourceKind.TOPIC, "mesh.rows.raw"));
        assertTrue(((StageFailed) topic.finished().getPayload()).getReason().contains("a TOPIC source needs the topic's rows"),
                ((StageFailed) topic.finished().getPayload()).getReason());
    }
}
