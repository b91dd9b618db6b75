package dev.agentmesh.kafka;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import java.util.Arrays;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.function.Predicate;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads every event of one run from the run-events topic, in log order, up to the partition's end as of the call:
 * how a service that lost its memory (a restart, a rebalance) rebuilds a run's state from the log.
 */
public final class RunLog {

    private RunLog() {
    }

    public static int partitionOf(String runId, int partitions) {
        return Utils.toPositive(Utils.murmur2(runId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** Every decodable event of the run, in log order. */
    public static List<RunEvent> read(String bootstrapServers, MeshCodec<RunEvent> codec, String runId, Duration timeout) {
        return read(bootstrapServers, codec, runId, Instant.EPOCH, timeout);
    }

    /** How much earlier than a run's trigger time its first record may be stamped (another producer's clock). */
    public static final Duration CLOCK_SLACK = Duration.ofMinutes(10);

    /**
     * Every decodable event of the run, in log order, reading its partition only from the records stamped at or after
     * {@code triggeredAt} less {@link #CLOCK_SLACK}: the earlier runs of the partition are skipped, not read.
     */
    public static List<RunEvent> read(String bootstrapServers, MeshCodec<RunEvent> codec, String runId, Instant triggeredAt,
                                      Duration timeout) {
        Instant from = triggeredAt.isAfter(Instant.EPOCH.plus(CLOCK_SLACK)) ? triggeredAt.minus(CLOCK_SLACK) : Instant.EPOCH;
        List<RunEvent> events = new ArrayList<>();
        for (LoggedRecord record : scan(bootstrapServers, Topics.RUN_EVENTS.name(), runId, r -> runId.equals(r.key()), from, timeout)) {
            try {
                events.add(codec.decode(record.value()));
            } catch (RuntimeException undecodable) {
                // dead-lettered by its consumers when it arrived; it changed no state then either
            }
        }
        return events;
    }

    /** The run's records on the run-events topic (its one partition), in log order, as of the call. */
    public static List<LoggedRecord> records(String bootstrapServers, String runId, Duration timeout) {
        return scan(bootstrapServers, Topics.RUN_EVENTS.name(), runId, r -> runId.equals(r.key()), timeout);
    }

    /**
     * Records of {@code topic} up to each partition's end as of the call that {@code keep} accepts. With
     * {@code partitionKey}, only the partition that key hashes to is read (the default partitioner's choice).
     */
    public static List<LoggedRecord> scan(String bootstrapServers, String topic, String partitionKey,
                                          Predicate<LoggedRecord> keep, Duration timeout) {
        return scan(bootstrapServers, topic, partitionKey, keep, Instant.EPOCH, timeout);
    }

    private static List<LoggedRecord> scan(String bootstrapServers, String topic, String partitionKey,
                                           Predicate<LoggedRecord> keep, Instant from, Duration timeout) {
        List<LoggedRecord> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrapServers)) {
            List<TopicPartition> partitions = partitions(consumer, topic, partitionKey, timeout);
            consumer.assign(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            if (from.equals(Instant.EPOCH)) {
                consumer.seekToBeginning(partitions);
            } else {
                Map<TopicPartition, Long> at = new HashMap<>();
                partitions.forEach(tp -> at.put(tp, from.toEpochMilli()));
                Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(at, timeout);
                for (TopicPartition tp : partitions) {
                    OffsetAndTimestamp first = offsets.get(tp);
                    consumer.seek(tp, first == null ? ends.get(tp) : first.offset());
                }
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, timeout) < ends.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " up to " + ends + " within " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    LoggedRecord logged = KafkaRecords.logged(record);
                    if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition())) && keep.test(logged)) {
                        out.add(logged);
                    }
                }
            }
        }
        out.sort(Comparator.comparingInt(LoggedRecord::partition).thenComparingLong(LoggedRecord::offset));
        return out;
    }

    /**
     * Streams {@code topic}'s records, up to each partition's end as of the call, to {@code each}, one partition after
     * the other in offset order (so the order is (partition, offset), as {@link #scan} sorts it), without holding
     * them. With {@code partitionKey}, only the partition that key hashes to is read, and only records with that key
     * are passed on. {@code timeout} bounds each partition's read.
     */
    public static void forEach(String bootstrapServers, String topic, String partitionKey, Duration timeout,
                               Consumer<ConsumerRecord<byte[], byte[]>> each) {
        byte[] key = partitionKey == null ? null : partitionKey.getBytes(StandardCharsets.UTF_8);
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrapServers)) {
            for (TopicPartition partition : partitions(consumer, topic, partitionKey, timeout)) {
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
                long deadline = System.nanoTime() + timeout.toNanos();
                while (consumer.position(partition, timeout) < end) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("could not read " + partition + " up to offset " + end + " within " + timeout);
                    }
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        if (record.offset() < end && (key == null || Arrays.equals(key, record.key()))) {
                            each.accept(record);
                        }
                    }
                }
            }
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrapServers) {
        return new KafkaConsumer<>(KafkaClientSettings.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class)));
    }

    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic, String partitionKey, Duration timeout) {
        int count = consumer.partitionsFor(topic, timeout).size();
        List<TopicPartition> partitions = new ArrayList<>();
        if (partitionKey != null) {
            partitions.add(new TopicPartition(topic, partitionOf(partitionKey, count)));
        } else {
            for (int p = 0; p < count; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
        }
        return partitions;
    }
}
