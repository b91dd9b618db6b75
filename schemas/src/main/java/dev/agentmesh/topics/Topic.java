package dev.agentmesh.topics;

import org.apache.avro.specific.SpecificRecord;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Kafka topic of the mesh, with the Java types of its key and value.
 *
 * @param retention  {@code null} means infinite (the log is the source of truth).
 * @param timestamps who stamps a record's time: its producer, or the broker as it appends the record (a topic whose
 *                   records are judged by when they happened, which a sender must not be able to claim)
 */
public record Topic<K, V>(
        String name,
        Class<K> keyType,
        Class<V> valueType,
        int partitions,
        Cleanup cleanup,
        Duration retention,
        String purpose,
        Timestamps timestamps) {

    public enum Cleanup { DELETE, COMPACT }

    public enum Timestamps { CREATE_TIME, LOG_APPEND_TIME }

    /** A topic whose records carry their producer's time. */
    public Topic(String name, Class<K> keyType, Class<V> valueType, int partitions, Cleanup cleanup, Duration retention,
                 String purpose) {
        this(name, keyType, valueType, partitions, cleanup, retention, purpose, Timestamps.CREATE_TIME);
    }

    /** The same topic with its records stamped by the broker. */
    public Topic<K, V> stampedByBroker() {
        return new Topic<>(name, keyType, valueType, partitions, cleanup, retention, purpose, Timestamps.LOG_APPEND_TIME);
    }

    /** The topic-level configuration the topic is created with, wherever it is created (admin, manifests, compose). */
    public Map<String, String> configs() {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("cleanup.policy", cleanup == Cleanup.COMPACT ? "compact" : "delete");
        configs.put("retention.ms", Long.toString(retentionMs()));
        if (timestamps == Timestamps.LOG_APPEND_TIME) {
            configs.put("message.timestamp.type", "LogAppendTime");
        }
        return configs;
    }

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
