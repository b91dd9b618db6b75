package dev.agentmesh.rowvalidator;

import dev.agentmesh.contract.RowValidationAgent;
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
        assertEquals("credit-g", done.getHandoff().getContract());
        assertEquals("1", done.getAudit().get("contract.version"));
        assertEquals(List.of("row-validation"), done.getHandoff().getPlan());
        assertEquals(1000L, done.getHandoff().getRecords(), "the next stage reads the valid rows");
        assertEquals("run-7", outcome.valid().get(0).getEnvelope().getRunId());
        assertEquals("grant-1", outcome.valid().get(0).getEnvelope().getGrantId(), "rows act under the trigger's grant");
    }

    @Test
    void exactlyThePlantedRowsAreRejectedWithFieldReasons(@TempDir Path dir) {
        Path file = PlantedRows.write(dir, Map.of(3, PlantedRows.withAge("12"), 500, PlantedRows.withAge("old")));
        var outcome = agent.handle(trigger(SourceKind.CSV, file.toString()));
        assertEquals(998, outcome.valid().size());
        assertEquals(List.of(3L, 500L), outcome.rejected().stream().map(r -> r.row().getRowIndex()).toList());
        // age is sensitive in credit-g's contract: the reason names the column and the rule, never the value
        assertEquals("row 3 violates the data contract: age: a sensitive value is below the minimum 18.0", outcome.rejected().get(0).reason());
        assertTrue(outcome.rejected().get(1).reason().contains("age: a sensitive value is not an integer"));
        assertFalse(outcome.rejected().get(1).reason().contains("old"), outcome.rejected().get(1).reason());
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

    @Test
    void aRowRepeatingAnEarlierRowsKeyIsRejectedNamingThatRow(@TempDir Path dir) throws java.io.IOException {
        Path file = dir.resolve("transactions.csv");
        java.nio.file.Files.writeString(file, """
                txn_id,amount,merchant_category,channel,hour,customer_age,customer_region,is_fraud
                t-1,10.00,grocery,pos,3,30,north,no
                t-2,20.00,travel,web,4,40,south,yes
                t-1,30.00,dining,app,5,50,east,no
                """);
        RunEvent trigger = RunEvents.triggered(new Envelopes("meshctl", "cli").origin("run-dup", "grant-1"), "nightly", "alice",
                SourceKind.CSV, file.toString(), "transactions", List.of(RowValidationAgent.STAGE), Map.of());
        var outcome = agent.handle(trigger);
        assertEquals(List.of(0L, 1L), outcome.valid().stream().map(r -> r.getRowIndex()).toList());
        assertEquals(1, outcome.rejected().size());
        assertEquals("row 2 violates the data contract: txn_id: duplicate key 't-1' (first seen at row 0)",
                outcome.rejected().get(0).reason());
        StageCompleted done = (StageCompleted) outcome.finished().getPayload();
        assertEquals(1L, done.getCounts().get("rejected.txn_id"));
        assertEquals(3L, done.getCounts().get("rows.in"));
    }

    @Test
    void aStreamedValidationCountsAsRowsPassAndFailsOnASourceWhoseColumnsDoNotMatch() {
        RunEvent trigger = trigger(SourceKind.TOPIC, "mesh.rows.raw?key=b");
        RowValidationAgent.Validation streamed = agent.begin(trigger);
        var rows = dev.agentmesh.contract.CsvRows.read(PlantedRows.CREDIT_G).rows();
        assertTrue(streamed.acceptsHeader(rows.get(0).keySet()));
        assertTrue(streamed.check(rows.get(0)).valid());
        java.util.Map<String, String> bad = new java.util.HashMap<>(rows.get(1));
        bad.put("age", "12");
        RowValidationAgent.Verdict verdict = streamed.check(bad);
        assertEquals(1L, verdict.rowIndex());
        assertEquals("row 1 violates the data contract: age: a sensitive value is below the minimum 18.0", verdict.reason());
        streamed.undecodable();
        assertEquals(trigger.getEnvelope().getEventId() + "/row-1", streamed.rowEnvelope(1).getEventId());
        assertEquals(streamed.rowEnvelopeTemplate().getEventId() + "1", streamed.rowEnvelope(1).getEventId());
        StageCompleted done = (StageCompleted) streamed.finished().getPayload();
        assertEquals(Map.of("rows.in", 3L, "rows.out", 1L, "rows.rejected", 2L, "rejected.age", 1L, "rejected.undecodable", 1L),
                done.getCounts());

        RowValidationAgent.Validation mismatched = agent.begin(trigger);
        java.util.Map<String, String> extra = new java.util.HashMap<>(rows.get(0));
        extra.put("shoe_size", "42");
        assertFalse(mismatched.acceptsHeader(extra.keySet()));
        StageFailed failed = (StageFailed) mismatched.finished().getPayload();
        assertEquals("source does not match contract credit-g: unexpected column 'shoe_size'", failed.getReason());
    }
}
