package dev.agentmesh.serde;

import java.io.IOException;
import java.io.UncheckedIOException;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.data.DataRow;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Encodes a stage's many rows, byte for byte as {@link MeshCodec#encode} would, at a fraction of the cost: the rows
 * of one stage share their envelope except for the event id, so the wire header and the envelope's other fields are
 * taken once from the codec's own encoding of a template row, and each row adds only its id suffix, its index and its
 * values through Avro's binary encoder. Not thread-safe: one writer per stage and thread.
 */
public final class DataRowWriter {

    private final byte[] header;
    private final byte[] idPrefix;
    private final byte[] envelopeAfterId;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
    private BinaryEncoder encoder;

    /** Row {@code i} gets {@code template}'s envelope with {@code i} appended to its event id. */
    public DataRowWriter(MeshCodec<DataRow> codec, Envelope template) {
        requireLayout();
        byte[] encoded = codec.encode(new DataRow(template, 0L, Map.of()));
        idPrefix = template.getEventId().getBytes(StandardCharsets.UTF_8);
        int idStart = MeshCodec.WIRE_HEADER_BYTES;
        int idEnd = idStart + varLongSize(idPrefix.length) + idPrefix.length;
        // the template ends with its row index 0 and its empty map, one zero byte each
        if (encoded.length < idEnd + 2 || encoded[encoded.length - 2] != 0 || encoded[encoded.length - 1] != 0) {
            throw new IllegalStateException("unexpected encoding of a template row (" + encoded.length + " bytes)");
        }
        header = Arrays.copyOf(encoded, idStart);
        envelopeAfterId = Arrays.copyOfRange(encoded, idEnd, encoded.length - 2);
    }

    public byte[] encode(long rowIndex, Map<String, String> values) {
        try {
            buffer.reset();
            buffer.write(header);
            encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
            byte[] suffix = Long.toString(rowIndex).getBytes(StandardCharsets.US_ASCII);
            encoder.writeLong(idPrefix.length + suffix.length);
            encoder.writeFixed(idPrefix);
            encoder.writeFixed(suffix);
            encoder.writeFixed(envelopeAfterId);
            encoder.writeLong(rowIndex);
            encoder.writeMapStart();
            encoder.setItemCount(values.size());
            for (Map.Entry<String, String> value : values.entrySet()) {
                encoder.startItem();
                encoder.writeString(value.getKey());
                if (value.getValue() == null) {
                    encoder.writeIndex(0);
                } else {
                    encoder.writeIndex(1);
                    encoder.writeString(value.getValue());
                }
            }
            encoder.writeMapEnd();
            encoder.flush();
            return buffer.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The layout this writer relies on; checked once so that a schema change fails loudly, not silently. */
    private static void requireLayout() {
        List<Schema.Field> row = DataRow.getClassSchema().getFields();
        Schema.Field firstOfEnvelope = Envelope.getClassSchema().getFields().get(0);
        Schema values = row.size() == 3 ? row.get(2).schema() : null;
        boolean expected = row.size() == 3
                && row.get(0).name().equals("envelope") && row.get(1).schema().getType() == Schema.Type.LONG
                && firstOfEnvelope.name().equals("eventId") && firstOfEnvelope.schema().getType() == Schema.Type.STRING
                && values.getType() == Schema.Type.MAP && values.getValueType().getType() == Schema.Type.UNION
                && values.getValueType().getTypes().get(0).getType() == Schema.Type.NULL
                && values.getValueType().getTypes().get(1).getType() == Schema.Type.STRING;
        if (!expected) {
            throw new IllegalStateException("DataRow's schema changed; DataRowWriter expects {envelope{eventId: string, ...}, "
                    + "rowIndex: long, values: map<[null, string]>}: " + DataRow.getClassSchema());
        }
    }

    private static int varLongSize(long n) {
        long zigzag = (n << 1) ^ (n >> 63);
        int size = 1;
        while ((zigzag & ~0x7FL) != 0) {
            zigzag >>>= 7;
            size++;
        }
        return size;
    }
}
