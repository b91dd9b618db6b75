package dev.agentmesh.core;

import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.data.RawRow;
import dev.agentmesh.serde.MeshCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A run's input read from a raw-rows topic: every record up to the topic's end when the run starts, optionally only
 * one batch (key), in (partition, offset) order, which is also the rows' index order.
 * Location: {@code <topic>} or {@code <topic>?key=<batch>}.
 */
public final class TopicSource {

    /** The rows that decoded, as a table, and the records that did not. */
    public record Read(CsvRows.Table table, List<LoggedRecord> undecodable) {
    }

    private TopicSource() {
    }

    public static Read read(String bootstrapServers, MeshCodec<RawRow> codec, String location, Duration timeout) {
        int q = location.indexOf("?key=");
        String topic = q < 0 ? location : location.substring(0, q);
        String key = q < 0 ? null : location.substring(q + 5);
        List<LoggedRecord> records = RunLog.scan(bootstrapServers, topic, key, r -> key == null || key.equals(r.key()), timeout);
        List<Map<String, String>> rows = new ArrayList<>();
        List<LoggedRecord> undecodable = new ArrayList<>();
        TreeSet<String> columns = new TreeSet<>();
        for (LoggedRecord r : records) {
            try {
                Map<String, String> values = new LinkedHashMap<>(codec.decode(r.value()).getValues());
                columns.addAll(values.keySet());
                rows.add(values);
            } catch (RuntimeException e) {
                undecodable.add(r);
            }
        }
        return new Read(new CsvRows.Table(List.copyOf(columns), rows), undecodable);
    }
}
