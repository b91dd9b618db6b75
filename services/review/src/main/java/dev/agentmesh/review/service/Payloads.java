package dev.agentmesh.review.service;

import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * A dead letter's payload as Avro JSON (the encoding Avro itself reads back), by the type of the topic it died on;
 * and an edited payload parsed against that same schema before it may be re-driven.
 */
final class Payloads {

    private Payloads() {
    }

    /** The registry topic whose value type a record from {@code originalTopic} has, if it is an Avro one. */
    static Optional<Topic<?, ?>> typeOf(String originalTopic) {
        if (originalTopic == null) {
            return Optional.empty();
        }
        if (originalTopic.startsWith("csv:") || originalTopic.startsWith("redrive:")) {
            return Optional.of(Topics.ROWS_VALIDATED);
        }
        return Topics.byName(originalTopic).filter(Topic::avroValued);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static Optional<SpecificRecord> decode(byte[] bytes, Topic<?, ?> topic, Map<String, Object> serde) {
        try (MeshCodec codec = new MeshCodec(topic, serde)) {
            return Optional.of((SpecificRecord) codec.decode(bytes));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static String avroJson(SpecificRecord record) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            JsonEncoder encoder = EncoderFactory.get().jsonEncoder(record.getSchema(), out, true);
            new SpecificDatumWriter(record.getClass()).write(record, encoder);
            encoder.flush();
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses {@code json} as the topic's value type; an edit that does not fit the schema is refused with Avro's reason. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static SpecificRecord fromJson(String json, Topic<?, ?> topic) {
        try {
            SpecificDatumReader reader = new SpecificDatumReader(topic.valueType());
            return (SpecificRecord) reader.read(null, DecoderFactory.get().jsonDecoder(
                    ((SpecificRecord) topic.valueType().getDeclaredConstructor().newInstance()).getSchema(), json));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the edited payload does not match schema "
                    + topic.valueType().getSimpleName() + ": " + e.getMessage(), e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static byte[] encode(SpecificRecord record, Topic<?, ?> topic, Map<String, Object> serde) {
        try (MeshCodec codec = new MeshCodec(topic, serde)) {
            return codec.encode(record);
        }
    }
}
