package dev.agentmesh.serde;

import io.apicurio.registry.serde.avro.AvroSerdeConfig;
import java.util.HashMap;
import dev.agentmesh.topics.Topic;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.util.Map;

/** Encodes and decodes one Avro-valued topic's values through Apicurio's serdes. */
public final class MeshCodec<V extends SpecificRecord> implements AutoCloseable {

    /** Confluent wire format: magic byte 0, then the writer schema's 4-byte id. */
    public static final int WIRE_HEADER_BYTES = 5;
    /** The largest record the mesh decodes: its own events and rows are far smaller, and state is kept per run. */
    public static final int MAX_RECORD_BYTES = 256 * 1024;

    private final Topic<?, V> topic;
    private final AvroKafkaSerializer<V> serializer = new AvroKafkaSerializer<>();
    private final AvroKafkaDeserializer<V> deserializer = new AvroKafkaDeserializer<>();

    public MeshCodec(Topic<?, V> topic, Map<String, Object> serdeSettings) {
        if (!topic.avroValued()) {
            throw new IllegalArgumentException(topic.name() + " does not carry Avro values");
        }
        this.topic = topic;
        Map<String, Object> settings = readingInto(topic.valueType(), serdeSettings);
        serializer.configure(settings, false);
        deserializer.configure(settings, false);
    }

    public byte[] encode(V value) {
        return serializer.serialize(topic.name(), value);
    }

    /**
     * @throws RuntimeException with a readable message when the bytes are not this topic's Avro in the
     *                          Confluent wire format, are over {@link #MAX_RECORD_BYTES}, or name a schema the store
     *                          does not know
     */
    public V decode(byte[] bytes) {
        if (bytes != null && bytes.length > MAX_RECORD_BYTES) {
            throw new MalformedRecordException("a record of " + bytes.length + " bytes is over the mesh's limit of "
                    + MAX_RECORD_BYTES + " bytes for " + topic.name());
        }
        if (bytes == null || bytes.length < WIRE_HEADER_BYTES || bytes[0] != 0) {
            throw new MalformedRecordException("not Confluent wire format (magic byte 0 + 4-byte schema id): "
                    + (bytes == null ? "null" : bytes.length + " bytes"));
        }
        Object decoded;
        try {
            decoded = deserializer.deserialize(topic.name(), bytes);
        } catch (MeshSchemaResolver.UnknownSchemaException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new MalformedRecordException("cannot decode as " + topic.valueType().getSimpleName() + ": " + e.getMessage(), e);
        }
        if (!topic.valueType().isInstance(decoded)) {
            throw new MalformedRecordException("expected " + topic.valueType().getName() + " on " + topic.name()
                    + " but the record's schema is " + (decoded == null ? "null" : decoded.getClass().getName()));
        }
        return topic.valueType().cast(decoded);
    }

    /** A Kafka Streams serde for the topic's values: the same encoding and the same decode errors as {@link #decode}. */
    public static <V extends SpecificRecord> Serde<V> streamsSerde(Topic<?, V> topic, Map<String, Object> serdeSettings) {
        MeshCodec<V> codec = new MeshCodec<>(topic, serdeSettings);
        return Serdes.serdeFrom((t, value) -> value == null ? null : codec.encode(value),
                (t, bytes) -> bytes == null ? null : codec.decode(bytes));
    }

    private static Map<String, Object> readingInto(Class<?> valueType, Map<String, Object> serdeSettings) {
        Map<String, Object> settings = new HashMap<>(serdeSettings);
        settings.put(AvroSerdeConfig.AVRO_DATUM_PROVIDER, MeshAvroDatumProvider.class);
        settings.put(MeshAvroDatumProvider.READER_CLASS, valueType);
        return settings;
    }

    @Override
    public void close() {
        serializer.close();
        deserializer.close();
    }

    /** The bytes are not a record of the expected type. */
    public static class MalformedRecordException extends RuntimeException {
        public MalformedRecordException(String message) {
            super(message);
        }

        public MalformedRecordException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
