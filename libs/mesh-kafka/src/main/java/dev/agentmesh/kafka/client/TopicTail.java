package dev.agentmesh.kafka.client;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The mesh's one way to keep a view of whole topics in a process: a single long-lived consumer (no group: every
 * instance sees every record) on its own thread, reading every partition of its topics from the beginning and
 * handing each record to a fold, for as long as the process lives. It never re-reads what it has read.
 * <ul>
 *   <li>{@link #caughtUp()}: the view has read up to the ends the topics had when it started (readiness).</li>
 *   <li>{@link #awaitCaughtUp(Duration)}: a read-your-writes barrier, so a decision made after it has seen every
 *       record committed before the call (a revocation, a schema another process registered). The ends are asked
 *       for on an admin connection of their own, so a barrier never queues behind the view's long-polling fetch.</li>
 *   <li>A record the fold cannot use is logged and skipped: no record stops the view.</li>
 *   <li>Only committed records are read ({@code read_committed}): the process managers write in transactions.</li>
 * </ul>
 * The fold runs on the tail's thread; state it shares with other threads needs its own lock (never hold that lock
 * while awaiting the barrier).
 */
public final class TopicTail implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TopicTail.class);
    /** An idle view wakes once a second; new records end its poll at once anyway. */
    private static final Duration IDLE_POLL = Duration.ofSeconds(1);
    /**
     * While a barrier waits, the view publishes its position every few milliseconds: a transaction's commit marker
     * moves the position without returning a record, so the poll that reads it would not end early.
     */
    private static final Duration BARRIER_POLL = Duration.ofMillis(5);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration TOPIC_CHECK = Duration.ofSeconds(2);
    private static final Duration RETRY = Duration.ofMillis(250);

    /**
     * How long a barrier waits by default: as long as a Kafka client's own calls do ({@code default.api.timeout.ms}),
     * so a broker restart or a leader election delays a decision instead of failing the record that waits on it.
     */
    public static final Duration BARRIER_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final List<String> topics;
    private final Consumer<ConsumerRecord<byte[], byte[]>> fold;
    private final Map<String, Object> settings;
    private final Admin admin;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean recheckTopics;
    private final AtomicInteger barriers = new AtomicInteger();
    private volatile KafkaConsumer<byte[], byte[]> consumer;

    /** Guards the view's progress, which the tail thread publishes after every poll. */
    private final Object progress = new Object();
    private Map<TopicPartition, Long> positions = Map.of();
    private Set<TopicPartition> assignment;
    private boolean missingTopics = true;
    private Map<TopicPartition, Long> startEnds;
    private boolean caughtUpOnce;
    private RuntimeException refused;

    private TopicTail(String name, String bootstrapServers, List<String> topics,
                      Consumer<ConsumerRecord<byte[], byte[]>> fold) {
        this.name = name;
        this.topics = List.copyOf(topics);
        this.fold = fold;
        this.settings = KafkaClientSettings.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
        this.admin = Admin.create(KafkaClientSettings.with(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers)));
        this.thread = new Thread(this::run, "tail-" + name);
        this.thread.setDaemon(true);
    }

    /** Starts tailing {@code topics} from their beginning into {@code fold}. */
    public static TopicTail start(String name, String bootstrapServers, List<String> topics,
                                  Consumer<ConsumerRecord<byte[], byte[]>> fold) {
        TopicTail tail = new TopicTail(name, bootstrapServers, topics, fold);
        tail.thread.start();
        return tail;
    }

    /** Whether the view has read up to the ends its topics had when it started. */
    public boolean caughtUp() {
        synchronized (progress) {
            if (!caughtUpOnce && startEnds != null && reached(startEnds)) {
                caughtUpOnce = true;
            }
            return caughtUpOnce;
        }
    }

    /** {@link #awaitCaughtUp(Duration)} for at most {@link #BARRIER_TIMEOUT}. */
    public void awaitCaughtUp() {
        awaitCaughtUp(BARRIER_TIMEOUT);
    }

    /**
     * Waits until the view has read every record committed to its topics before this call. A broker that cannot
     * answer yet (restarting, no leader for a partition) is asked again until {@code timeout}.
     */
    public void awaitCaughtUp(Duration timeout) {
        barriers.incrementAndGet();
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup(); // out of its idle poll, into short ones
        }
        try {
            awaitCaughtUp(System.nanoTime() + timeout.toNanos());
        } finally {
            barriers.decrementAndGet();
        }
    }

    private void awaitCaughtUp(long deadline) {
        Set<TopicPartition> partitions;
        synchronized (progress) {
            if (missingTopics) {
                recheckTopics = true; // a topic created since the tail last looked joins before the ends are taken
            }
            while (running && (assignment == null || recheckTopics)) {
                waitUntil(deadline);
            }
            if (!running) {
                throw new IllegalStateException("the " + name + " view is closed");
            }
            partitions = assignment;
        }
        Map<TopicPartition, Long> ends = ends(partitions, deadline);
        synchronized (progress) {
            while (!reached(ends)) {
                waitUntil(deadline);
            }
        }
    }

    private Map<TopicPartition, Long> ends(Set<TopicPartition> partitions, long deadline) {
        if (partitions.isEmpty()) {
            return Map.of();
        }
        while (true) {
            try {
                return admin.listOffsets(partitions.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())),
                                new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)
                                        .timeoutMs((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))))
                        .all().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                        .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while asking for the ends of " + topics, e);
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                boolean passing = cause instanceof RetriableException || cause instanceof TimeoutException;
                if (!passing || System.nanoTime() + RETRY.toNanos() >= deadline) {
                    throw new IllegalStateException("the " + name + " view could not learn the ends of " + topics
                            + " within its barrier's time: " + cause, cause);
                }
                LOG.debug("the {} view asks again for the ends of {}: {}", name, topics, cause.toString());
                pause(RETRY);
            }
        }
    }

    /** Waits on the progress monitor until notified or {@code deadline}; caller holds the monitor. */
    private void waitUntil(long deadline) {
        if (!running) {
            throw new IllegalStateException("the " + name + " view is closed");
        }
        if (refused != null) {
            throw new IllegalStateException("the " + name + " view cannot read " + topics + ": " + refused.getMessage(), refused);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new IllegalStateException("the " + name + " view could not read " + topics + " up to their ends in time");
        }
        try {
            progress.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading " + topics, e);
        }
    }

    /** Caller holds the progress monitor. */
    private boolean reached(Map<TopicPartition, Long> ends) {
        for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            Long at = positions.get(end.getKey());
            if (end.getValue() > 0 && (at == null || at < end.getValue())) {
                return false;
            }
        }
        return true;
    }

    private void run() {
        Map<TopicPartition, Long> at = new HashMap<>();
        long nextTopicCheck = 0;
        while (running) {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(settings)) {
                consumer = c;
                boolean assigned = false;
                while (running) {
                    try {
                        if (!assigned || recheckTopics || (missing() && System.nanoTime() > nextTopicCheck)) {
                            assign(c, at);
                            assigned = true;
                            nextTopicCheck = System.nanoTime() + TOPIC_CHECK.toNanos();
                        }
                        boolean awaited = barriers.get() > 0;
                        for (ConsumerRecord<byte[], byte[]> record : c.poll(awaited ? BARRIER_POLL : IDLE_POLL)) {
                            apply(record);
                        }
                        for (TopicPartition tp : c.assignment()) {
                            at.put(tp, c.position(tp, METADATA_TIMEOUT));
                        }
                        publish(at);
                    } catch (WakeupException barrierOrClose) {
                        if (!running) {
                            throw barrierOrClose;
                        }
                    }
                }
            } catch (WakeupException closing) {
                // close() woke the consumer
            } catch (RuntimeException e) {
                if (running) {
                    LOG.error("the {} view's consumer failed; reconnecting and going on from where it was", name, e);
                    if (e instanceof AuthenticationException || e instanceof AuthorizationException) {
                        synchronized (progress) {
                            refused = e; // barriers fail at once with the broker's reason instead of timing out
                            progress.notifyAll();
                        }
                    }
                    pause();
                }
            } finally {
                consumer = null;
            }
        }
        synchronized (progress) {
            progress.notifyAll();
        }
    }

    private boolean missing() {
        synchronized (progress) {
            return missingTopics;
        }
    }

    private void assign(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> at) {
        List<TopicPartition> all = new ArrayList<>();
        boolean missing = false;
        for (String topic : topics) {
            List<PartitionInfo> infos = c.partitionsFor(topic, METADATA_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                missing = true;
            } else {
                infos.forEach(p -> all.add(new TopicPartition(p.topic(), p.partition())));
            }
        }
        c.assign(all);
        for (TopicPartition tp : all) {
            Long position = at.get(tp);
            if (position == null) {
                c.seekToBeginning(List.of(tp));
            } else {
                c.seek(tp, position);
            }
        }
        Map<TopicPartition, Long> ends = null;
        synchronized (progress) {
            if (startEnds == null) {
                ends = Map.of(); // taken below, outside the monitor
            }
        }
        if (ends != null) {
            ends = all.isEmpty() ? Map.of() : Map.copyOf(c.endOffsets(all, METADATA_TIMEOUT));
        }
        synchronized (progress) {
            if (startEnds == null) {
                startEnds = ends;
            }
            assignment = Set.copyOf(all);
            missingTopics = missing;
            recheckTopics = false;
            progress.notifyAll();
        }
    }

    private void publish(Map<TopicPartition, Long> at) {
        synchronized (progress) {
            refused = null;
            positions = Map.copyOf(at);
            progress.notifyAll();
        }
    }

    private void apply(ConsumerRecord<byte[], byte[]> record) {
        try {
            fold.accept(record);
        } catch (RuntimeException e) {
            LOG.warn("the {} view skipped {}-{}@{}, which it cannot use: {}", name, record.topic(), record.partition(),
                    record.offset(), e.getMessage());
        }
    }

    private static void pause() {
        pause(Duration.ofMillis(500));
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
        synchronized (progress) {
            progress.notifyAll();
        }
    }
}
