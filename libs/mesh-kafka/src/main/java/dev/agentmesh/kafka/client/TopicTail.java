package dev.agentmesh.kafka.client;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The mesh's one way to keep a view of whole topics in a process: a single long-lived consumer (no group: every
 * instance sees every record) on its own thread, reading every partition of its topics from the beginning and
 * handing each record to a fold, for as long as the process lives. It never re-reads what it has read.
 * <ul>
 *   <li>{@link #caughtUp()}: the view has read up to the ends the topics had when it started (readiness).</li>
 *   <li>{@link #awaitCaughtUp(Duration)}: a read-your-writes barrier, so a decision made after it has seen every
 *       record written before the call (a revocation, a schema another process registered).</li>
 *   <li>A record the fold cannot use is logged and skipped: no record stops the view.</li>
 * </ul>
 * The fold runs on the tail's thread; state it shares with other threads needs its own lock (never hold that lock
 * while awaiting the barrier).
 */
public final class TopicTail implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TopicTail.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration TOPIC_CHECK = Duration.ofSeconds(2);

    private final String name;
    private final Map<String, Object> settings;
    private final List<String> topics;
    private final Consumer<ConsumerRecord<byte[], byte[]>> fold;
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> barriers = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private boolean missingTopics;
    private long nextTopicCheck;

    private TopicTail(String name, String bootstrapServers, List<String> topics,
                      Consumer<ConsumerRecord<byte[], byte[]>> fold) {
        this.name = name;
        this.topics = List.copyOf(topics);
        this.fold = fold;
        this.settings = KafkaClientSettings.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
        this.thread = new Thread(this::run, "tail-" + name);
        this.thread.setDaemon(true);
    }

    /** Starts tailing {@code topics} from their beginning into {@code fold}. */
    public static TopicTail start(String name, String bootstrapServers, List<String> topics,
                                  Consumer<ConsumerRecord<byte[], byte[]>> fold) {
        TopicTail tail = new TopicTail(name, bootstrapServers, topics, fold);
        tail.thread.start();
        tail.barriers.add(tail.started);
        return tail;
    }

    /** Whether the view has read up to the ends its topics had when it started. */
    public boolean caughtUp() {
        return started.isDone() && !started.isCompletedExceptionally();
    }

    /** Waits until the view has read every record written to its topics before this call. */
    public void awaitCaughtUp(Duration timeout) {
        if (!running) {
            throw new IllegalStateException("the " + name + " view is closed");
        }
        CompletableFuture<Void> barrier = new CompletableFuture<>();
        barriers.add(barrier);
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            barrier.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            barriers.remove(barrier);
            throw new IllegalStateException("the " + name + " view could not read " + topics + " up to their ends within "
                    + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading " + topics, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the " + name + " view failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private void run() {
        Map<TopicPartition, Long> positions = new HashMap<>();
        Map<CompletableFuture<Void>, Map<TopicPartition, Long>> waiting = new HashMap<>();
        while (running) {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(settings)) {
                consumer = c;
                Set<TopicPartition> assigned = new HashSet<>();
                while (running) {
                    try {
                        turn(c, assigned, positions, waiting);
                    } catch (WakeupException wakeup) {
                        // a barrier was requested, or the view is closing: either way, the next turn sees it
                    }
                }
            } catch (RuntimeException e) {
                if (running) {
                    LOG.error("the {} view's consumer failed; reconnecting and going on from where it was", name, e);
                    pause();
                }
            } finally {
                consumer = null;
            }
        }
        waiting.keySet().forEach(b -> b.completeExceptionally(new IllegalStateException("the " + name + " view is closed")));
        for (CompletableFuture<Void> b; (b = barriers.poll()) != null; ) {
            b.completeExceptionally(new IllegalStateException("the " + name + " view is closed"));
        }
    }

    private void turn(KafkaConsumer<byte[], byte[]> c, Set<TopicPartition> assigned, Map<TopicPartition, Long> positions,
                      Map<CompletableFuture<Void>, Map<TopicPartition, Long>> waiting) {
        if (!barriers.isEmpty() || assigned.isEmpty() || (missingTopics && System.nanoTime() > nextTopicCheck)) {
            assign(c, assigned, positions);
        }
        List<CompletableFuture<Void>> asked = new ArrayList<>();
        for (CompletableFuture<Void> b; (b = barriers.poll()) != null; ) {
            asked.add(b);
        }
        if (!asked.isEmpty()) {
            Map<TopicPartition, Long> ends = assigned.isEmpty() ? Map.of() : Map.copyOf(c.endOffsets(assigned, METADATA_TIMEOUT));
            asked.forEach(b -> waiting.put(b, ends));
        }
        complete(c, waiting);
        for (ConsumerRecord<byte[], byte[]> record : c.poll(POLL)) {
            apply(record);
        }
        for (TopicPartition tp : assigned) {
            positions.put(tp, c.position(tp, METADATA_TIMEOUT));
        }
        complete(c, waiting);
    }

    private void assign(KafkaConsumer<byte[], byte[]> c, Set<TopicPartition> assigned, Map<TopicPartition, Long> positions) {
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
        // a topic created later (the first grant, the first review action) joins the view when it appears
        missingTopics = missing;
        nextTopicCheck = System.nanoTime() + TOPIC_CHECK.toNanos();
        if (all.size() == assigned.size()) {
            return;
        }
        c.assign(all);
        for (TopicPartition tp : all) {
            Long at = positions.get(tp);
            if (at == null) {
                c.seekToBeginning(List.of(tp));
            } else {
                c.seek(tp, at);
            }
        }
        assigned.clear();
        assigned.addAll(all);
    }

    private static void complete(KafkaConsumer<byte[], byte[]> c,
                                 Map<CompletableFuture<Void>, Map<TopicPartition, Long>> waiting) {
        Iterator<Map.Entry<CompletableFuture<Void>, Map<TopicPartition, Long>>> it = waiting.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<CompletableFuture<Void>, Map<TopicPartition, Long>> e = it.next();
            if (e.getValue().entrySet().stream().allMatch(end -> c.position(end.getKey(), METADATA_TIMEOUT) >= end.getValue())) {
                e.getKey().complete(null);
                it.remove();
            }
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
        try {
            Thread.sleep(500);
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
    }
}
