package dev.agentmesh.kafka;

import dev.agentmesh.core.Excerpt;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A record the mesh cannot use, on its way to the dead-letter topic with why, where it was and who sent it there.
 * It carries a copy of the record when the copy fits under {@link #MAX_COPY_BYTES}; a larger record is dead-lettered
 * by reference (topic, partition, offset, size and reason, no copy), so a record too large to copy can never stop
 * the service that met it. The one place that shapes a dead letter: SmallRye's channels, the Streams topologies and
 * the mesh's own consumers all build theirs here.
 */
public final class DeadLetter {

    /** Well under the broker's and producers' 1 MiB default, so a copy and its headers always fit. */
    public static final int MAX_COPY_BYTES = 512 * 1024;
    private static final int MAX_KEY_BYTES = 1024;

    private final String topic;
    private final int partition;
    private final long offset;
    private final byte[] key;
    private final byte[] value;
    private final Headers original;
    private final String reason;
    private final String cause;
    private final String service;
    private final boolean byReference;

    private DeadLetter(String topic, int partition, long offset, byte[] key, byte[] value, Headers original,
                       String reason, String cause, String service, boolean byReference) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.key = key;
        this.value = value;
        this.original = original;
        this.reason = Excerpt.reason(reason == null ? "(no reason given)" : reason);
        this.cause = cause;
        this.service = service;
        this.byReference = byReference;
    }

    /** {@code record}, which {@code service} cannot use for {@code reason}. */
    public static DeadLetter of(ConsumerRecord<byte[], byte[]> record, String reason, String service) {
        return new DeadLetter(record.topic(), record.partition(), record.offset(), record.key(), record.value(),
                record.headers(), reason, null, service, false);
    }

    /** A record known by its position and bytes (a Streams record, a SmallRye message). */
    public static DeadLetter of(String topic, int partition, long offset, byte[] key, byte[] value, Headers headers,
                                String reason, String service) {
        return new DeadLetter(topic, partition, offset, key, value, headers, reason, null, service, false);
    }

    /** Names the failure's class (or its cause's) in {@link MeshHeaders#DLQ_CAUSE}. */
    public DeadLetter withCause(String cause) {
        return new DeadLetter(topic, partition, offset, key, value, original, reason, cause, service, byReference);
    }

    public static String reasonOf(Throwable failure) {
        return failure.getMessage() == null ? failure.getClass().getName() : failure.getMessage();
    }

    /** The record's size as it was written: key, value and headers. */
    public long size() {
        long size = (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        if (original != null) {
            for (Header h : original) {
                size += h.key().length() + (h.value() == null ? 0 : h.value().length);
            }
        }
        return size;
    }

    /** Whether the dead letter carries a copy of the record (else a reference to it). */
    public boolean copied() {
        return !byReference && size() <= MAX_COPY_BYTES;
    }

    public String reason() {
        return reason;
    }

    /** The key the dead letter is written under: the record's own, unless it is too large to keep. */
    public byte[] key() {
        return key != null && (copied() || key.length <= MAX_KEY_BYTES) ? key : null;
    }

    /** The copy of the record's value, or null for a dead letter by reference. */
    public byte[] value() {
        return copied() ? value : null;
    }

    public Headers headers() {
        boolean copy = copied();
        String why = copy ? reason : reason + " (dead-lettered by reference: the record of " + size()
                + " bytes was not copied" + (byReference ? ", the broker refused the copy" : ", over the copy limit of "
                + MAX_COPY_BYTES + " bytes") + "; read it at " + topic + "-" + partition + "@" + offset + ")";
        RecordHeaders headers = KafkaRecords.deadLetter(copy ? original : null, why, topic, Integer.toString(partition),
                Long.toString(offset), service);
        KafkaRecords.put(headers, MeshHeaders.DLQ_SIZE, Long.toString(size()));
        if (cause != null) {
            KafkaRecords.put(headers, MeshHeaders.DLQ_CAUSE, Excerpt.reason(cause));
        }
        return headers;
    }

    /** The same letter by reference only (what is sent if the broker refuses even the copy). */
    DeadLetter referenceOnly() {
        return new DeadLetter(topic, partition, offset, key, value, original, reason, cause, service, true);
    }

    public ProducerRecord<byte[], byte[]> toProducerRecord() {
        return new ProducerRecord<>(Topics.DEAD_LETTER.name(), null, key(), value(), headers());
    }
}
