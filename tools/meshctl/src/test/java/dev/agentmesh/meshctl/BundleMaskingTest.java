package dev.agentmesh.meshctl;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SchemaStore;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** An incident bundle's dead letters with the run's sensitive columns masked, in the rows and in their reasons. */
class BundleMaskingTest {

    final MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.inMemoryStore());
    final MeshCodec<DataRow> rows = new MeshCodec<>(Topics.ROWS_VALIDATED, SerdeSettings.inMemoryStore());
    final Envelope trigger = new Envelopes("meshctl", "t").origin("r", "g");

    LoggedRecord record(String topic, byte[] value, Map<String, String> headers) {
        return new LoggedRecord(topic, 0, 0, 0, "r", value, headers);
    }

    @Test
    void theSensitiveColumnsOfADeadLetteredRowAndItsReasonsAreMaskedTheRestKept() throws Exception {
        byte[] triggered = events.encode(RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "x.csv", "credit-g",
                List.of(Stages.ROW_VALIDATION), Map.of()));
        Map<String, String> values = new LinkedHashMap<>(Map.of("age", "7", "duration", "6", "personal_status", "male single"));
        byte[] row = rows.encode(new DataRow(new Envelopes("row-validator", "rv").item(trigger, "row-4"), 4L, values));
        String reason = "row 4 violates the data contract: age: '7' is below the minimum 18; duration: '0' is below 1";
        ReplayBundle bundle = new ReplayBundle(ReplayBundle.FORMAT, "r", Instant.now(),
                List.of(record(Topics.RUN_EVENTS.name(), triggered, Map.of())), List.of(),
                List.of(record(Topics.DEAD_LETTER.name(), row, Map.of(MeshHeaders.DLQ_REASON, reason,
                        MeshHeaders.ROW_REJECTIONS, "age: '7' is below the minimum 18", MeshHeaders.RUN_ID, "r"))),
                Map.of(new LoggedRecord("", 0, 0, 0, null, triggered, Map.of()).schemaId(), RunEvent.getClassSchema().toString(),
                        new LoggedRecord("", 0, 0, 0, null, row, Map.of()).schemaId(), DataRow.getClassSchema().toString()),
                null, null, null);

        ReplayBundle masked = BundleMasking.mask(bundle);
        assertEquals(List.of("age", "foreign_worker", "personal_status"), masked.maskedColumns(), "credit-g's sensitive columns");
        LoggedRecord letter = masked.deadLetters().get(0);
        assertEquals(bundle.deadLetters().get(0).schemaId(), letter.schemaId(), "the same schema id");
        DataRow back = rows.decode(letter.value());
        assertEquals("***", back.getValues().get("age"));
        assertEquals("***", back.getValues().get("personal_status"));
        assertEquals("6", back.getValues().get("duration"), "a column that is not sensitive is kept");
        assertEquals(4L, back.getRowIndex());
        assertEquals("row 4 violates the data contract: age: '***' is below the minimum 18; duration: '0' is below 1",
                letter.headers().get(MeshHeaders.DLQ_REASON));
        assertEquals("age: '***' is below the minimum 18", letter.headers().get(MeshHeaders.ROW_REJECTIONS));
        assertEquals("r", letter.headers().get(MeshHeaders.RUN_ID));
        assertEquals(bundle.runEvents(), masked.runEvents(), "the run's events, which replay reads, are untouched");
    }

    @Test
    void aRowWrittenWithAnotherSchemaIsWithheldNeverCopiedUnmasked() throws Exception {
        String other = DataRow.getClassSchema().toString().replaceFirst(Pattern.quote("\"fields\":["),
                Matcher.quoteReplacement("\"fields\":[{\"name\":\"note\",\"type\":\"string\",\"default\":\"\"},"));
        Schema otherSchema = new Schema.Parser().parse(other);
        long id = SchemaStore.idFor(other);
        GenericRecord generic = new GenericData.Record(otherSchema);
        generic.put("note", "x");
        generic.put("envelope", new Envelopes("row-validator", "rv").item(trigger, "row-1"));
        generic.put("rowIndex", 1L);
        generic.put("values", Map.of("age", "55"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt((int) id).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        GenericData model = new GenericData();
        model.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        new GenericDatumWriter<GenericRecord>(otherSchema, model).write(generic, encoder);
        encoder.flush();
        Map<Long, String> schemas = Map.of(id, other);
        SerdeSettings.inMemoryStore(schemas);
        LoggedRecord letter = BundleMasking.mask(record(Topics.DEAD_LETTER.name(), out.toByteArray(), Map.of()), Set.of("age"),
                rows, schemas);
        assertEquals(0, letter.value().length, "withheld");
        assertTrue(letter.headers().containsKey(BundleMasking.WITHHELD));
    }
}
