package dev.agentmesh.core;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** A record as the log holds it: where it is, its key, its value bytes (wire format) and its headers. */
public record LoggedRecord(String topic, int partition, long offset, long timestamp, String key, byte[] value,
                           Map<String, String> headers) {

    public static LoggedRecord of(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        return new LoggedRecord(r.topic(), r.partition(), r.offset(), r.timestamp(),
                r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8), r.value(), headers);
    }

    /** The schema id of a Confluent wire-format value (magic byte 0, then 4 bytes), or -1. */
    public long schemaId() {
        return value != null && value.length >= 5 && value[0] == 0
                ? java.nio.ByteBuffer.wrap(value, 1, 4).getInt() : -1;
    }
}
