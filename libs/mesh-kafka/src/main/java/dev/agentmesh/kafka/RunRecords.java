package dev.agentmesh.kafka;

import dev.agentmesh.core.Replayable;
import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.topics.Topic;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Reads one run's records from a topic keyed by run id: only the run's partition, from the offset of the run's first
 * record when the stage that wrote them recorded it (the first record read must then be the run's, at that offset),
 * otherwise from the run's trigger time on, until the expected number of distinct records has been read; redelivered
 * duplicates (same identity) count once. A read fails when no new record arrives within its timeout.
 * Records are handed on as they are read, never collected, so a run of any size passes in bounded memory.
 *
 * <p>The consumers are long-lived and shared (at most {@code size} at once, one per concurrent read): a stage's
 * hand-off costs a seek and a fetch, not a consumer's creation and close (which waits out the fetch the broker is
 * holding, about half a second).
 */
public final class RunRecords implements AutoCloseable {

    private static final long LOOKBACK_MS = 60_000;

    private final String bootstrapServers;
    private final BlockingQueue<KafkaConsumer<String, byte[]>> idle;
    private final List<KafkaConsumer<String, byte[]>> all = new ArrayList<>();
    private final int size;
    private volatile boolean closed;

    public RunRecords(String bootstrapServers, int size) {
        this.bootstrapServers = bootstrapServers;
        this.size = size;
        this.idle = new ArrayBlockingQueue<>(size);
    }

    /** The run's records of {@code topic} as a {@link Replayable}: each pass reads them from the log again. */
    public <V extends SpecificRecord> Replayable<V> of(Topic<String, V> topic, MeshCodec<V> codec, String runId,
                                                      Instant since, OptionalLong from, long expected,
                                                      ToLongFunction<V> identity, Duration timeout) {
        return each -> forEach(topic, codec, runId, since, from, expected, identity, timeout, each);
    }

    public <V extends SpecificRecord> long forEach(Topic<String, V> topic, MeshCodec<V> codec, String runId,
                                                   Instant since, OptionalLong from, long expected,
                                                   ToLongFunction<V> identity, Duration timeout,
                                                   Consumer<? super V> each) {
        KafkaConsumer<String, byte[]> consumer = borrow(timeout);
        try {
            int partitions = consumer.partitionsFor(topic.name(), timeout).size();
            TopicPartition partition = new TopicPartition(topic.name(), RunLog.partitionOf(runId, partitions));
            consumer.assign(List.of(partition));
            boolean checkStart = from.isPresent();
            if (checkStart) {
                consumer.seek(partition, from.getAsLong());
            } else {
                seekByTime(consumer, partition, since, timeout);
            }
            Seen seen = new Seen();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (seen.count() < expected) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("read " + seen.count() + " of " + expected + " records of run "
                            + runId + " from " + topic.name() + ", then nothing new for " + timeout);
                }
                ConsumerRecords<String, byte[]> polled;
                try {
                    polled = consumer.poll(Duration.ofMillis(200));
                } catch (OffsetOutOfRangeException e) {
                    if (!checkStart) {
                        throw e;
                    }
                    checkStart = false; // the offset is not in the partition: read from the trigger time
                    seekByTime(consumer, partition, since, timeout);
                    continue;
                }
                for (ConsumerRecord<String, byte[]> record : polled) {
                    if (checkStart) {
                        checkStart = false;
                        if (record.offset() != from.getAsLong() || !runId.equals(record.key())) {
                            // not where the run's records start (an offset from elsewhere): read from the trigger time
                            seekByTime(consumer, partition, since, timeout);
                            break;
                        }
                    }
                    if (runId.equals(record.key())) {
                        V value = codec.decode(record.value());
                        if (seen.add(identity.applyAsLong(value)) && seen.count() <= expected) {
                            each.accept(value);
                            deadline = System.nanoTime() + timeout.toNanos();
                        }
                    }
                }
            }
            return seen.count();
        } finally {
            consumer.unsubscribe();
            giveBack(consumer);
        }
    }

    private static void seekByTime(KafkaConsumer<String, byte[]> consumer, TopicPartition partition, Instant since,
                                   Duration timeout) {
        OffsetAndTimestamp start = consumer.offsetsForTimes(
                Map.of(partition, since.toEpochMilli() - LOOKBACK_MS), timeout).get(partition);
        if (start == null) {
            consumer.seekToEnd(List.of(partition));
        } else {
            consumer.seek(partition, start.offset());
        }
    }

    private KafkaConsumer<String, byte[]> borrow(Duration timeout) {
        KafkaConsumer<String, byte[]> consumer = idle.poll();
        if (consumer != null) {
            return consumer;
        }
        synchronized (all) {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            if (all.size() < size) {
                consumer = newConsumer();
                all.add(consumer);
                return consumer;
            }
        }
        try {
            consumer = idle.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for a reader", e);
        }
        if (consumer == null) {
            throw new IllegalStateException("no reader free within " + timeout + " (" + size + " in use)");
        }
        return consumer;
    }

    private void giveBack(KafkaConsumer<String, byte[]> consumer) {
        if (closed) {
            consumer.close(Duration.ZERO);
        } else {
            idle.add(consumer);
        }
    }

    private KafkaConsumer<String, byte[]> newConsumer() {
        return new KafkaConsumer<>(KafkaClientSettings.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none", // every read seeks; a position out of range is an error
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class)));
    }

    @Override
    public void close() {
        synchronized (all) {
            closed = true;
            KafkaConsumer<String, byte[]> consumer;
            while ((consumer = idle.poll()) != null) {
                consumer.close(Duration.ZERO);
            }
        }
    }

    /** Identities seen so far: a bit per row index (a million rows cost 125 KB), a set for anything else. */
    private static final class Seen {
        private final BitSet small = new BitSet();
        private final Set<Long> other = new HashSet<>();
        private long count;

        boolean add(long id) {
            boolean added;
            if (id >= 0 && id < Integer.MAX_VALUE) {
                added = !small.get((int) id);
                small.set((int) id);
            } else {
                added = other.add(id);
            }
            if (added) {
                count++;
            }
            return added;
        }

        long count() {
            return count;
        }
    }
}
