package dev.agentmesh.meshctl;

import dev.agentmesh.contract.DataContract;
import dev.agentmesh.contract.SensitiveValues;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An incident bundle leaves the cluster: the values of the run's sensitive columns (its contract's {@code sensitive};
 * every column when the contract cannot be read here) are masked in its dead-lettered rows and in the reasons their
 * headers give. A row keeps its schema id (the same writer schema, its values masked); a row written with another
 * schema is withheld, never copied unmasked. Replay does not read dead letters, so a masked bundle replays the same.
 */
final class BundleMasking {

    /** Header set on a dead letter whose row could not be masked in place and was withheld. */
    static final String WITHHELD = "mesh-masked-withheld";
    private static final List<String> REASON_HEADERS = List.of(MeshHeaders.DLQ_REASON, MeshHeaders.DLQ_CAUSE,
            MeshHeaders.ROW_REJECTIONS);

    private BundleMasking() {
    }

    /** The columns to mask for this run: its contract's sensitive ones, or every column if the contract is unknown here. */
    static Set<String> sensitive(List<LoggedRecord> runEvents, MeshCodec<RunEvent> events) {
        for (LoggedRecord r : runEvents) {
            try {
                if (events.decode(r.value()).getPayload() instanceof RunTriggered t) {
                    List<String> declared = DataContract.load(t.getContract()).sensitive();
                    return declared == null ? Set.of() : new TreeSet<>(declared);
                }
            } catch (RuntimeException unreadable) {
                // an undecodable record, or a contract this machine cannot load: keep looking, then mask everything
            }
        }
        return SensitiveValues.ALL;
    }

    static ReplayBundle mask(ReplayBundle bundle) {
        Map<String, Object> serde = SerdeSettings.inMemoryStore(bundle.schemas());
        try (MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, serde);
             MeshCodec<DataRow> rows = new MeshCodec<>(Topics.ROWS_VALIDATED, serde)) {
            Set<String> sensitive = sensitive(bundle.runEvents(), events);
            if (sensitive.isEmpty()) {
                return bundle.withMasked(List.of());
            }
            List<LoggedRecord> masked = new ArrayList<>();
            for (LoggedRecord r : bundle.deadLetters()) {
                masked.add(mask(r, sensitive, rows, bundle.schemas()));
            }
            return bundle.withDeadLetters(masked).withMasked(List.copyOf(sensitive));
        }
    }

    static LoggedRecord mask(LoggedRecord r, Set<String> sensitive, MeshCodec<DataRow> rows, Map<Long, String> schemas) {
        Map<String, String> headers = new LinkedHashMap<>(r.headers());
        REASON_HEADERS.forEach(h -> headers.computeIfPresent(h, (k, v) -> SensitiveValues.maskReason(v, sensitive)));
        byte[] value = r.value();
        DataRow row = null;
        try {
            row = value == null ? null : rows.decode(value);
        } catch (RuntimeException notARow) {
            // not a row (an undecodable record, a run event): its bytes carry no column values to mask
        }
        if (row != null) {
            String writer = schemas.get(r.schemaId());
            if (writer != null && SchemaNormalization.toParsingForm(new Schema.Parser().parse(writer))
                    .equals(SchemaNormalization.toParsingForm(DataRow.getClassSchema()))) {
                value = wire(r.schemaId(), SensitiveValues.mask(row, sensitive));
            } else {
                value = new byte[0];
                headers.put(WITHHELD, "the row was written with another schema than this meshctl's: withheld, not masked");
            }
        }
        return new LoggedRecord(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), value, headers);
    }

    /** Confluent wire format: magic byte, the schema id, the Avro binary. */
    private static byte[] wire(long schemaId, DataRow row) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(0);
            out.write(ByteBuffer.allocate(4).putInt((int) schemaId).array());
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new SpecificDatumWriter<>(DataRow.class).write(row, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
