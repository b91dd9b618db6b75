package dev.agentmesh.core;

import dev.agentmesh.run.StageCompleted;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class HandoffsTest {

    static final Instant T = Instant.parse("2026-11-29T10:00:00Z");

    @Test
    void aTypedHandoffIsReadAsWrittenAndPassedOnWithTheNextStagesRecords() {
        StageCompleted validated = new StageCompleted("row-validation", Map.of("rows.out", 7L), Map.of(),
                Handoffs.of(List.of("row-validation", "feature-extraction"), "credit-g", T, 998));
        assertEquals(List.of("row-validation", "feature-extraction"), Handoffs.plan(validated));
        assertEquals("credit-g", Handoffs.contract(validated));
        assertEquals(T, Handoffs.triggeredAt(validated, null));
        assertEquals(998, Handoffs.records(validated, "rows.out"), "the handoff, not the count of the same name");

        var next = Handoffs.next(validated, 990);
        assertEquals(List.of("row-validation", "feature-extraction"), next.getPlan());
        assertEquals("credit-g", next.getContract());
        assertEquals(T, next.getTriggeredAt());
        assertEquals(990, next.getRecords());
        assertEquals(Optional.empty(), Handoffs.recordsStart(validated), "no stage said where its records start");
    }

    @Test
    void whereARunsRecordsStartIsPassedOnUntilAStageWritesNewOnes() {
        StageCompleted validated = new StageCompleted("row-validation", Map.of(), Map.of(),
                Handoffs.of(List.of("row-validation", "feature-extraction", "schema-check"), "credit-g", T, 998));
        Handoffs.recordsStartAt(validated, "mesh.rows.validated", 4_200);
        assertEquals(Optional.of(new Handoffs.RecordsStart("mesh.rows.validated", 4_200)), Handoffs.recordsStart(validated));

        StageCompleted extracted = new StageCompleted("feature-extraction", Map.of(), Map.of(),
                Handoffs.next(validated, 998));
        assertEquals(Optional.of(new Handoffs.RecordsStart("mesh.rows.validated", 4_200)), Handoffs.recordsStart(extracted),
                "until its shell says where its own records start, the topic names whose offset it is");
        Handoffs.recordsStartAt(extracted, "mesh.features", 77);
        StageCompleted checked = new StageCompleted("schema-check", Map.of(), Map.of(), Handoffs.next(extracted, 998));
        assertEquals(Optional.of(new Handoffs.RecordsStart("mesh.features", 77)), Handoffs.recordsStart(checked),
                "a stage that writes nothing passes the same records on");

        Handoffs.recordsStartAt(checked, "mesh.features", -1);
        assertEquals(Optional.of(new Handoffs.RecordsStart("mesh.features", 77)), Handoffs.recordsStart(checked),
                "no offset leaves what was recorded");
        StageCompleted legacy = new StageCompleted("x", Map.of(), Map.of(), null);
        Handoffs.recordsStartAt(legacy, "mesh.features", 5);
        assertEquals(Optional.empty(), Handoffs.recordsStart(legacy));
    }

    @Test
    void aCompletionWrittenBeforeTheHandoffExistedIsReadFromItsMaps() {
        StageCompleted legacy = new StageCompleted("row-validation", Map.of("rows.out", 7L),
                Map.of(AuditKeys.PLAN, "row-validation,feature-extraction", AuditKeys.CONTRACT, "credit-g",
                        AuditKeys.TRIGGERED_AT, T.toString()), null);
        assertEquals(List.of("row-validation", "feature-extraction"), Handoffs.plan(legacy));
        assertEquals("credit-g", Handoffs.contract(legacy));
        assertEquals(T, Handoffs.triggeredAt(legacy, null));
        assertEquals(7, Handoffs.records(legacy, "rows.out"));

        StageCompleted bare = new StageCompleted("x", Map.of(), Map.of(), null);
        assertEquals(List.of(), Handoffs.plan(bare));
        assertNull(Handoffs.triggeredAt(bare, null));
        assertEquals(0, Handoffs.records(bare, "rows.out"));
    }
}
