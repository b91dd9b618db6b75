package dev.agentmesh.kafka;

import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.data.RawRow;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.RawRowReader;

import java.time.Duration;
import java.util.Map;

/**
 * A run's input read from a raw-rows topic: every record up to the topic's end when the run starts, optionally only
 * one batch (key), in (partition, offset) order, which is also the rows' index order. Streamed: rows are handed on as
 * they are read, never held. Location: {@code <topic>} or {@code <topic>?key=<batch>}.
 */
public final class TopicSource {

    /** Where the source's records go: each decoded row's values, or the record itself when it is no row. */
    public interface Rows {
        void row(Map<String, String> values);

        void undecodable(LoggedRecord record, RuntimeException why);
    }

    private TopicSource() {
    }

    public static void stream(String bootstrapServers, MeshCodec<RawRow> codec, String location, Duration timeout, Rows rows) {
        int q = location.indexOf("?key=");
        String topic = q < 0 ? location : location.substring(0, q);
        String key = q < 0 ? null : location.substring(q + 5);
        RawRowReader reader = new RawRowReader(codec);
        RunLog.forEach(bootstrapServers, topic, key, timeout, record -> {
            Map<String, String> values;
            try {
                values = reader.values(record.value());
            } catch (RuntimeException e) {
                rows.undecodable(KafkaRecords.logged(record), e);
                return;
            }
            rows.row(values);
        });
    }
}
