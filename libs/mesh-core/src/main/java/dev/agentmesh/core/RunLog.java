package dev.agentmesh.core;

import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
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

    public static List<RunEvent> read(String bootstrapServers, MeshCodec<RunEvent> codec, String runId, Duration timeout) {
        List<RunEvent> events = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            String topic = Topics.RUN_EVENTS.name();
            TopicPartition partition = new TopicPartition(topic,
                    partitionOf(runId, consumer.partitionsFor(topic, timeout).size()));
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(partition, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read run " + runId + " up to offset " + end + " within " + timeout);
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < end && runId.equals(record.key())) {
                        try {
                            events.add(codec.decode(record.value()));
                        } catch (RuntimeException undecodable) {
                            // dead-lettered by its consumers when it arrived; it changed no state then either
                        }
                    }
                }
            }
        }
        return events;
    }
}
