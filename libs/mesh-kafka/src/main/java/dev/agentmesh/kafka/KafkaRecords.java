package dev.agentmesh.kafka;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.MeshHeaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Between Kafka's record types and the domain's: a consumed record as a {@link LoggedRecord}, an envelope as headers. */
public final class KafkaRecords {

    private KafkaRecords() {
    }

    public static LoggedRecord logged(ConsumerRecord<byte[], byte[]> r) {
        return new LoggedRecord(r.topic(), r.partition(), r.offset(), r.timestamp(),
                r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8), r.value(), text(r.headers()));
    }

    /** Headers as text, in their order (the last of a repeated name wins); a header with no value is left out. */
    public static Map<String, String> text(Headers headers) {
        Map<String, String> text = new LinkedHashMap<>();
        for (Header h : headers) {
            if (h.value() != null) {
                text.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
            }
        }
        return text;
    }

    /**
     * The headers of a dead letter: the original record's headers (if any), then why it failed, where it was
     * ({@code topic}, {@code partition}, {@code offset} as the sender knows them) and which service sent it there.
     * The names are SmallRye's, so hand-written and SmallRye dead letters read alike.
     */
    public static RecordHeaders deadLetter(Headers original, String reason, String topic, String partition, String offset,
                                           String service) {
        RecordHeaders headers = original == null ? new RecordHeaders() : new RecordHeaders(original.toArray());
        put(headers, MeshHeaders.DLQ_REASON, reason);
        put(headers, MeshHeaders.DLQ_TOPIC, topic);
        put(headers, MeshHeaders.DLQ_PARTITION, partition);
        put(headers, MeshHeaders.DLQ_OFFSET, offset);
        put(headers, MeshHeaders.DLQ_SERVICE, service);
        return headers;
    }

    /** Sets a text header, replacing any of the same name. */
    public static void put(Headers headers, String name, String value) {
        headers.remove(name);
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    /** An event's trace context, run id and event id as headers, for tracing, logs and metrics without decoding. */
    public static RecordHeaders headers(Envelope envelope) {
        RecordHeaders headers = new RecordHeaders();
        if (envelope.getTraceParent() != null) {
            headers.add(MeshHeaders.TRACE_PARENT, envelope.getTraceParent().getBytes(StandardCharsets.UTF_8));
        }
        headers.add(MeshHeaders.RUN_ID, envelope.getRunId().getBytes(StandardCharsets.UTF_8));
        headers.add(MeshHeaders.EVENT_ID, envelope.getEventId().getBytes(StandardCharsets.UTF_8));
        return headers;
    }
}
