package dev.agentmesh.kafka;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.MeshHeaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Between Kafka's record types and the domain's: a consumed record as a {@link LoggedRecord}, an envelope as headers. */
public final class KafkaRecords {

    private KafkaRecords() {
    }

    public static LoggedRecord logged(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        return new LoggedRecord(r.topic(), r.partition(), r.offset(), r.timestamp(),
                r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8), r.value(), headers);
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
