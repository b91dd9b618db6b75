package dev.agentmesh.topics;

import org.apache.avro.specific.SpecificRecord;
import java.time.Duration;

/**
 * A Kafka topic of the mesh, with the Java types of its key and value.
 *
 * @param retention {@code null} means infinite (the log is the source of truth).
 */
public record Topic<K, V>(
        String name,
        Class<K> keyType,
        Class<V> valueType,
        int partitions,
        Cleanup cleanup,
        Duration retention,
        String purpose) {

    public enum Cleanup { DELETE, COMPACT }

    /** Values are Avro records in the Confluent wire format; other topics carry raw bytes or text. */
    public boolean avroValued() {
        return SpecificRecord.class.isAssignableFrom(valueType);
    }

    /** Config key under which the topic's name is published to services, e.g. {@code mesh.topics.run-events}. */
    public String configKey() {
        return "mesh.topics." + name.substring(name.indexOf('.') + 1);
    }

    public long retentionMs() {
        return retention == null ? -1L : retention.toMillis();
    }
}
