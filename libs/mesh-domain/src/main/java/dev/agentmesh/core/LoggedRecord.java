package dev.agentmesh.core;

import java.nio.ByteBuffer;
import java.util.Map;

/** A record as the log holds it: where it is, its key, its value bytes (wire format) and its headers. */
public record LoggedRecord(String topic, int partition, long offset, long timestamp, String key, byte[] value,
                           Map<String, String> headers) {

    /** The schema id of a Confluent wire-format value (magic byte 0, then 4 bytes), or -1. */
    public long schemaId() {
        return value != null && value.length >= 5 && value[0] == 0
                ? ByteBuffer.wrap(value, 1, 4).getInt() : -1;
    }
}
