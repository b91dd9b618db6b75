package dev.agentmesh.kafka.client;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A consumer group's lag as {@code kafka-consumer-groups.sh --describe} reports it, but against the last stable
 * offset: the records a {@code read_committed} member can read that the group has not committed past. Unlike the
 * client's {@code records-lag-max}, it is defined when nothing was fetched lately, and it covers a Kafka Streams
 * application (its group is its application id) as well as a channel's group.
 */
public final class ConsumerGroupLag {

    private ConsumerGroupLag() {
    }

    /** Lag per partition the group has committed on (a group that never committed has none). */
    public static Map<TopicPartition, Long> of(Admin admin, String group, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        committed.forEach((tp, offset) -> {
            if (offset != null) {
                latest.put(tp, OffsetSpec.latest());
            }
        });
        Map<TopicPartition, Long> lag = new TreeMap<>(
                (a, b) -> a.topic().equals(b.topic()) ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic()));
        if (latest.isEmpty()) {
            return lag;
        }
        long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest,
                new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(left, TimeUnit.MILLISECONDS);
        ends.forEach((tp, end) -> lag.put(tp, Math.max(0, end.offset() - committed.get(tp).offset())));
        return lag;
    }

    /** The group's total lag over every partition it has committed on. */
    public static long total(Map<TopicPartition, Long> lag) {
        return lag.values().stream().mapToLong(Long::longValue).sum();
    }
}
