package dev.agentmesh.dataset;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.data.Split;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class DatasetWriterTest {

    static List<FeatureRow> rows() {
        Envelopes envelopes = new Envelopes("feature-extractor", "fe-1", Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        var cause = envelopes.origin("run-1", null);
        List<FeatureRow> rows = new ArrayList<>();
        for (int i = 9; i >= 0; i--) {
            rows.add(new FeatureRow(envelopes.causedBy(cause, "row-" + i, 0), (long) i,
                    i < 6 ? Split.TRAIN : i < 8 ? Split.VALIDATION : Split.TEST, i % 2 == 0 ? "good" : "bad",
                    List.of((double) i, -1.0 * i)));
        }
        return rows;
    }

    @Test
    void theSameRowsGiveTheSameBytesAndChecksum(@TempDir Path a, @TempDir Path b) {
        var first = DatasetWriter.write(a, "run-1", rows());
        var second = DatasetWriter.write(b, "run-1", rows());
        assertEquals(first.checksum(), second.checksum());
        assertEquals(first.checksum(), DatasetWriter.checksum(List.copyOf(first.files().values())));
        assertEquals(6L, first.counts().get(Split.TRAIN));
        assertEquals(2L, first.counts().get(Split.TEST));
    }

    @Test
    void splitFilesAreReadableAvroInRowOrder(@TempDir Path dir) throws Exception {
        var written = DatasetWriter.write(dir, "run-1", rows());
        List<Long> indexes = new ArrayList<>();
        try (var reader = new DataFileReader<>(written.files().get(Split.TRAIN).toFile(),
                new SpecificDatumReader<>(DatasetRow.class))) {
            reader.forEach(r -> indexes.add(r.getRowIndex()));
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), indexes);
    }

    @Test
    void aChangedRowChangesTheChecksum(@TempDir Path a, @TempDir Path b) {
        List<FeatureRow> changed = rows();
        changed.get(0).setLabel("good");
        assertNotEquals(DatasetWriter.write(a, "run-1", rows()).checksum(), DatasetWriter.write(b, "run-1", changed).checksum());
    }

    @Test
    void rowsStreamedInLogOrderGiveTheSameBytesAsRowsWrittenFromMemory(@TempDir Path a, @TempDir Path b) {
        List<FeatureRow> ascending = new ArrayList<>(rows());
        Collections.reverse(ascending);
        DatasetWriter.Written streamed;
        try (DatasetWriter.Open open = DatasetWriter.open(a, "run-1")) {
            ascending.forEach(open::append);
            streamed = open.finish();
        }
        assertEquals(DatasetWriter.write(b, "run-1", rows()).checksum(), streamed.checksum());
    }

    @Test
    void aRowOutOfOrderIsRefusedRatherThanWrittenOutOfPlace(@TempDir Path dir) {
        try (DatasetWriter.Open open = DatasetWriter.open(dir, "run-1")) {
            List<FeatureRow> descending = rows();
            open.append(descending.get(5));
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> open.append(descending.get(6)));
            assertTrue(refused.getMessage().contains("row order"), refused.getMessage());
        }
    }
}
