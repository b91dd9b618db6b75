package dev.agentmesh.serde;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.contract.TransactionGenerator;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.data.RawRow;
import dev.agentmesh.topics.Topics;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The row-validator's fast row codecs give exactly what the general codec gives. */
class RowCodecsTest {

    static final String OLD_RAW_ROW = """
            {"type": "record", "name": "RawRow", "namespace": "dev.agentmesh.data",
             "fields": [{"name": "values", "type": {"type": "map", "values": "string"}}]}""";

    final Map<String, Object> store = SerdeSettings.inMemoryStore(Map.of(SchemaStore.idFor(OLD_RAW_ROW), OLD_RAW_ROW));
    final MeshCodec<DataRow> rows = new MeshCodec<>(Topics.ROWS_VALIDATED, store);
    final MeshCodec<RawRow> raw = new MeshCodec<>(Topics.ROWS_RAW, store);
    final Envelopes envelopes = new Envelopes("row-validator", "rv-1", Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC));
    final Envelope trigger = new Envelopes("meshctl", "cli").origin("run-ü", "grant-1");

    @Test
    void rowsAreEncodedByteForByteAsTheCodecEncodesThem() {
        DataRowWriter writer = new DataRowWriter(rows, envelopes.item(trigger, "row-"));
        CsvRows.Table table = TransactionGenerator.generate(new TransactionGenerator.Spec(2000, 3, 0.05, 0));
        Map<String, String> withNull = new LinkedHashMap<>(table.rows().get(0));
        withNull.put("channel", null);
        withNull.put("merchant_category", "café ☕");
        for (long i : new long[]{0, 1, 9, 10, 63, 64, 127, 128, 999, 1999, 8191, 8192, 1L << 40}) {
            Map<String, String> values = i == 9 ? withNull : i == 10 ? Map.of() : table.rows().get((int) (i % 2000));
            byte[] fast = writer.encode(i, values);
            DataRow expected = new DataRow(envelopes.item(trigger, "row-" + i), i, values);
            assertArrayEquals(rows.encode(expected), fast, "row " + i);
            assertEquals(expected, rows.decode(fast));
        }
    }

    @Test
    void anIdPrefixWhoseLengthCrossesAVarintBoundaryStillEncodesExactly() {
        for (int length : new int[]{62, 63, 64, 65, 8191, 8192}) {
            Envelope cause = new Envelopes("meshctl", "cli").origin("r", "g");
            cause.setEventId("x".repeat(length));
            DataRowWriter writer = new DataRowWriter(rows, envelopes.item(cause, "row-"));
            Map<String, String> values = Map.of("a", "1");
            assertArrayEquals(rows.encode(new DataRow(envelopes.item(cause, "row-5"), 5L, values)), writer.encode(5, values));
        }
    }

    @Test
    void rawRowsAreReadAsTheCodecReadsThem() {
        RawRowReader reader = new RawRowReader(raw);
        CsvRows.Table table = TransactionGenerator.generate(new TransactionGenerator.Spec(500, 4, 0.05, 0));
        for (Map<String, String> values : table.rows()) {
            byte[] bytes = raw.encode(new RawRow(new HashMap<>(values)));
            assertEquals(values, reader.values(bytes));
            assertEquals(raw.decode(bytes).getValues(), reader.values(bytes));
        }
        Map<String, String> withNull = new HashMap<>(Map.of("a", "ü"));
        withNull.put("b", null);
        assertEquals(withNull, reader.values(raw.encode(new RawRow(withNull))));
    }

    @Test
    void rawRowsWrittenWithAnotherSchemaAreResolvedByTheCodec() throws Exception {
        Schema old = new Schema.Parser().parse(OLD_RAW_ROW);
        GenericRecord record = new GenericData.Record(old);
        record.put("values", Map.of("amount", "12.5", "channel", "web"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt((int) SchemaStore.idFor(OLD_RAW_ROW)).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(old).write(record, encoder);
        encoder.flush();
        assertEquals(Map.of("amount", "12.5", "channel", "web"), new RawRowReader(raw).values(out.toByteArray()));
    }

    @Test
    void bytesThatAreNoRawRowAreRefusedClearly() {
        RawRowReader reader = new RawRowReader(raw);
        byte[] good = raw.encode(new RawRow(Map.of("amount", "12.5")));
        assertThrows(MeshCodec.MalformedRecordException.class, () -> reader.values("not a row".getBytes()));
        assertThrows(MeshCodec.MalformedRecordException.class, () -> reader.values(java.util.Arrays.copyOf(good, good.length - 2)));
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 1);
        var e = assertThrows(MeshCodec.MalformedRecordException.class, () -> reader.values(trailing));
        assertTrue(e.getMessage().contains("bytes left"), e.getMessage());
        byte[] badBranch = good.clone();
        badBranch[good.length - 7] = 4; // the union index of the one value: branch 2 does not exist
        assertThrows(MeshCodec.MalformedRecordException.class, () -> reader.values(badBranch));
        assertThrows(MeshSchemaResolver.UnknownSchemaException.class, () -> reader.values(new byte[]{0, 1, 2, 3, 4, 0}));
    }
}
