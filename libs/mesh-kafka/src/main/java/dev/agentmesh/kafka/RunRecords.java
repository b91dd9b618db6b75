package dev.agentmesh.kafka;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.topics.Topic;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Reads one run's records from a topic keyed by run id: only the run's partition, from the run's trigger time on,
 * until the expected number of distinct records has been read. Redelivered duplicates (same identity) count once.
 * Nothing is buffered between calls, so a restarted service reads the same records again.
 */
public final class RunRecords {

    private RunRecords() {
    }

    public static <V extends SpecificRecord> List<V> read(String bootstrapServers, Topic<String, V> topic, MeshCodec<V> codec,
                                                         String runId, Instant since, long expected,
                                                         ToLongFunction<V> identity, Duration timeout) {
        Map<Long, V> distinct = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(KafkaClientSettings.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class)))) {
            int partitions = consumer.partitionsFor(topic.name(), timeout).size();
            TopicPartition partition = new TopicPartition(topic.name(),
                    Utils.toPositive(Utils.murmur2(runId.getBytes(StandardCharsets.UTF_8))) % partitions);
            consumer.assign(List.of(partition));
            OffsetAndTimestamp start = consumer.offsetsForTimes(
                    Map.of(partition, since.minusSeconds(60).toEpochMilli()), timeout).get(partition);
            if (start == null) {
                consumer.seekToEnd(List.of(partition));
            } else {
                consumer.seek(partition, start.offset());
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (distinct.size() < expected) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("read " + distinct.size() + " of " + expected + " records of run "
                            + runId + " from " + topic.name() + " within " + timeout);
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (runId.equals(record.key())) {
                        V value = codec.decode(record.value());
                        distinct.putIfAbsent(identity.applyAsLong(value), value);
                    }
                }
            }
        }
        return List.copyOf(distinct.values());
    }
}
