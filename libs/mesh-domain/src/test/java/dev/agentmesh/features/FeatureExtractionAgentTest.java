package dev.agentmesh.features;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Handoffs;
import dev.agentmesh.core.Replayable;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageFailed;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Feature extraction over a stream read twice: the same features as the whole run in memory, and durable first. */
class FeatureExtractionAgentTest {

    static final Path CREDIT_G = Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"), "credit-g.csv");
    final Envelopes envelopes = new Envelopes("feature-extractor", "test");

    RunEvent validated(long rows) {
        Envelope trigger = new Envelopes("meshctl", "test").origin("run-1", "g");
        return RunEvents.completed(new Envelopes("row-validator", "test").causedBy(trigger, "finished", 0),
                Stages.ROW_VALIDATION, Map.of(AuditKeys.ROWS_IN, rows, AuditKeys.ROWS_OUT, rows), Map.of(),
                Handoffs.of(Stages.INGEST, "credit-g", Instant.now(), rows));
    }

    List<DataRow> rows() {
        List<Map<String, String>> csv = CsvRows.read(CREDIT_G).rows();
        Envelope row = new Envelopes("row-validator", "test").origin("run-1", "g");
        List<DataRow> out = new ArrayList<>();
        for (int i = 0; i < csv.size(); i++) {
            out.add(new DataRow(row, (long) i, csv.get(i)));
        }
        return out;
    }

    @Test
    void twoPassesOverTheStreamGiveTheFeaturesOfTheWholeRunAndTheOutputsAreDurableBeforeTheCompletion() {
        List<DataRow> rows = rows();
        AtomicInteger passes = new AtomicInteger();
        Replayable<DataRow> stream = each -> {
            passes.incrementAndGet();
            rows.forEach(each);
            return rows.size();
        };
        List<FeatureRow> out = new ArrayList<>();
        int[] durableAt = {-1};
        RunEvent finished = new FeatureExtractionAgent(envelopes).extract(validated(rows.size()), stream, out::add,
                () -> durableAt[0] = out.size());

        StageCompleted completed = assertInstanceOf(StageCompleted.class, finished.getPayload());
        assertEquals(2, passes.get(), "one pass to fit, one to encode: the run is never held");
        assertEquals(rows.size(), durableAt[0], "every feature row was handed on before the outputs were made durable");
        assertEquals((long) rows.size(), completed.getCounts().get(AuditKeys.ROWS_OUT));

        List<FeatureEncoder.Row> inMemory = rows.stream().map(r -> new FeatureEncoder.Row(r.getRowIndex(), r.getValues())).toList();
        FeatureEncoder.Result whole = new FeatureEncoder(DataContract.load("credit-g")).encode(inMemory);
        for (int i = 0; i < rows.size(); i++) {
            assertArrayEquals(whole.rows().get(i).features(),
                    out.get(i).getFeatures().stream().mapToDouble(Double::doubleValue).toArray(), 1e-12, "row " + i);
        }
    }

    @Test
    void aStreamThatBreaksOffFailsTheStageWithTheReason() {
        Replayable<DataRow> broken = each -> {
            throw new IllegalStateException("read 3 of 10 records of run run-1 from mesh.rows.validated, then nothing new");
        };
        RunEvent finished = new FeatureExtractionAgent(envelopes).extract(validated(10), broken, r -> { }, () -> { });
        StageFailed failed = assertInstanceOf(StageFailed.class, finished.getPayload());
        assertTrue(failed.getReason().contains("read 3 of 10"), failed.getReason());
    }
}
