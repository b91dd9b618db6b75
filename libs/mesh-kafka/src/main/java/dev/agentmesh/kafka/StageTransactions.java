package dev.agentmesh.kafka;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Consume-transform-produce in Kafka transactions for a handler fed by a consumer group: everything one input record
 * causes is written in one transaction together with that record's offset, so a consumer reading
 * {@code read_committed} sees all of it exactly once, or none of it and the record again.
 *
 * <p>One transactional producer per input partition, its {@code transactional.id} named after the group and the
 * partition. Whichever instance handles a partition next (a restart, or another instance after a rebalance) takes
 * over that id, which fences the previous owner and aborts a transaction it left open, at once: a dead instance never
 * holds back readers until its transaction times out, and a zombie cannot commit.
 *
 * <p>Each transaction also carries the group metadata of the consumer that was given the record (KIP-447): once the
 * partition has moved on (a rebalance, even to another consumer in the same process, or back to the same one in a
 * newer generation), the broker refuses the input offset and the transaction is aborted, because the record is read
 * again by its new owner. {@link Transaction#commit()} then throws {@link Superseded}.
 *
 * <p>These producers are the only committers of the group's offsets (the channel's own commit strategy is
 * {@code ignore}): a second committer could move the group back behind a committed transaction, and the record would
 * be handled twice. A record that causes nothing is {@link #pass passed}: its offset goes with the partition's next
 * transaction, or in an offsets-only transaction at most {@code passEvery} later.
 */
public final class StageTransactions implements AutoCloseable {

    private final Map<String, Object> settings;
    private final String idPrefix;
    private final ConcurrentMap<TopicPartition, Lane> lanes = new ConcurrentHashMap<>();
    private final ScheduledExecutorService passing;

    /**
     * @param idPrefix the prefix of every {@code transactional.id} (the cluster's ACLs allow the service this prefix)
     * @param timeout  how long a transaction may stay open: longer than the largest stage's work
     */
    public StageTransactions(String bootstrapServers, String idPrefix, Duration timeout) {
        this(bootstrapServers, idPrefix, timeout, Duration.ZERO);
    }

    /**
     * @param passEvery how often the offsets of passed records are committed when no transaction carries them; zero:
     *                  only by {@link #commitPassed()}
     */
    public StageTransactions(String bootstrapServers, String idPrefix, Duration timeout, Duration passEvery) {
        Map<String, Object> own = new HashMap<>();
        own.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        own.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        own.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        own.put(ProducerConfig.ACKS_CONFIG, "all");
        own.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        own.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) timeout.toMillis());
        own.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        own.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        own.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
        this.settings = Map.copyOf(own);
        this.idPrefix = idPrefix;
        if (passEvery.isZero()) {
            this.passing = null;
        } else {
            this.passing = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "stage-offsets-" + idPrefix);
                t.setDaemon(true);
                return t;
            });
            passing.scheduleWithFixedDelay(this::commitPassed, passEvery.toMillis(), passEvery.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Begins the transaction for the record at {@code offset} of {@code topic}'s {@code partition}, delivered to the
     * group member {@code receiver} describes as it was then. Transactions on one partition run one at a time; close
     * the returned one (try-with-resources) to let the next begin.
     */
    public Transaction begin(String topic, int partition, long offset, ConsumerGroupMetadata receiver) {
        TopicPartition input = new TopicPartition(topic, partition);
        Lane lane = lanes.computeIfAbsent(input, Lane::new);
        lane.lock.lock();
        try {
            if (!receiver.memberId().isEmpty()) {
                lane.renewFor(receiver.generationId());
            }
            lane.producer().beginTransaction();
            return new Transaction(lane, input, offset, receiver);
        } catch (RuntimeException e) {
            lane.reset();
            lane.lock.unlock();
            throw e;
        }
    }

    /**
     * Readies the producer for {@code topic}'s {@code partition}, just assigned in {@code generation}, so the first
     * transaction there does not wait for {@code initTransactions}. A producer left from an earlier generation is
     * replaced: another instance may have owned the partition since, and fenced it. A failure is left for that
     * transaction to meet again.
     */
    public void prepare(String topic, int partition, int generation) {
        Lane lane = lanes.computeIfAbsent(new TopicPartition(topic, partition), Lane::new);
        lane.lock.lock();
        try {
            lane.renewFor(generation);
            lane.producer();
        } catch (RuntimeException e) {
            lane.reset();
        } finally {
            lane.lock.unlock();
        }
    }

    /**
     * The record at {@code offset} of {@code topic}'s {@code partition}, delivered to {@code receiver}, causes nothing
     * here: the group may move past it. Call it in the partition's order, after everything before it is settled.
     */
    public void pass(String topic, int partition, long offset, ConsumerGroupMetadata receiver) {
        lanes.computeIfAbsent(new TopicPartition(topic, partition), Lane::new).passed(offset + 1, receiver);
    }

    /**
     * Commits the offsets of passed records that no transaction has carried yet, one offsets-only transaction per
     * partition; a partition busy with a transaction is left to it. Refused offsets (the partition moved on) are
     * dropped: the new owner reads those records again.
     */
    public void commitPassed() {
        for (Lane lane : lanes.values()) {
            if (lane.pending() == null || !lane.lock.tryLock()) {
                continue;
            }
            try {
                Passed passed = lane.pending();
                if (passed == null) {
                    continue;
                }
                KafkaProducer<String, byte[]> producer = lane.producer();
                producer.beginTransaction();
                try {
                    producer.sendOffsetsToTransaction(Map.of(lane.input, new OffsetAndMetadata(passed.next())),
                            passed.receiver());
                    producer.commitTransaction();
                    lane.committed(passed.next());
                } catch (CommitFailedException | FencedInstanceIdException | RebalanceInProgressException
                         | ProducerFencedException | InvalidProducerEpochException e) {
                    lane.dropUpTo(passed.next());
                    producer.abortTransaction();
                }
            } catch (KafkaException e) {
                lane.reset();
            } finally {
                lane.lock.unlock();
            }
        }
    }

    /** The {@code transactional.id} of the producer that writes what {@code partition}'s records cause. */
    public String transactionalId(TopicPartition partition) {
        return idPrefix + "-" + partition.topic() + "-" + partition.partition();
    }

    @Override
    public void close() {
        if (passing != null) {
            passing.shutdownNow();
        }
        commitPassed();
        lanes.values().forEach(Lane::reset);
        lanes.clear();
    }

    /** What one input record causes: send, then {@link #commit()}; closing without committing aborts. */
    public final class Transaction implements AutoCloseable {
        private final Lane lane;
        private final TopicPartition input;
        private final long offset;
        private final ConsumerGroupMetadata receiver;
        private final AtomicReference<Exception> failure = new AtomicReference<>();
        private static final long ACK_WAIT_MS = 60_000;
        private final Map<String, Future<RecordMetadata>> firstByTopic = new HashMap<>();
        private final Callback onAck = (metadata, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
            }
        };
        private boolean open = true;

        private Transaction(Lane lane, TopicPartition input, long offset, ConsumerGroupMetadata receiver) {
            this.lane = lane;
            this.input = input;
            this.offset = offset;
            this.receiver = receiver;
        }

        public void send(String topic, String key, byte[] value, Headers headers) {
            throwIfFailed();
            Future<RecordMetadata> sent = lane.producer().send(new ProducerRecord<>(topic, null, key, value, headers), onAck);
            firstByTopic.putIfAbsent(topic, sent);
        }

        /**
         * The offset of the first record this transaction sent to {@code topic} (waiting for its acknowledgement),
         * or empty when it sent none there or the broker did not acknowledge it.
         */
        public OptionalLong firstOffset(String topic) {
            Future<RecordMetadata> first = firstByTopic.get(topic);
            if (first == null) {
                return OptionalLong.empty();
            }
            try {
                RecordMetadata metadata = first.get(ACK_WAIT_MS, TimeUnit.MILLISECONDS);
                return metadata.hasOffset() ? OptionalLong.of(metadata.offset()) : OptionalLong.empty();
            } catch (ExecutionException | TimeoutException e) {
                return OptionalLong.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return OptionalLong.empty();
            }
        }

        /** Returns once everything sent so far is acknowledged (still invisible to {@code read_committed} readers). */
        public void flush() {
            lane.producer().flush();
            throwIfFailed();
        }

        /** Drops everything sent so far and starts again, still for the same input record. */
        public void discard() {
            lane.producer().abortTransaction();
            failure.set(null);
            firstByTopic.clear();
            lane.producer().beginTransaction();
        }

        /**
         * Commits what was sent together with the input record's offset.
         *
         * @throws Superseded when the record's partition has moved on since it was delivered: nothing is committed
         */
        public void commit() {
            flush();
            try {
                lane.producer().sendOffsetsToTransaction(Map.of(input, new OffsetAndMetadata(offset + 1)), receiver);
                lane.producer().commitTransaction();
                lane.committed(offset + 1);
            } catch (CommitFailedException | FencedInstanceIdException | RebalanceInProgressException
                     | ProducerFencedException | InvalidProducerEpochException e) {
                throw new Superseded(input, offset, e);
            }
            open = false;
        }

        @Override
        public void close() {
            try {
                if (open) {
                    lane.producer().abortTransaction();
                }
            } catch (KafkaException e) {
                // fenced, or the producer is in a fatal state: the next transaction on this partition starts afresh
                lane.reset();
            } finally {
                open = false;
                lane.lock.unlock();
            }
        }

        private void throwIfFailed() {
            Exception e = failure.get();
            if (e != null) {
                throw new IllegalStateException("not acknowledged by the broker: " + e.getMessage(), e);
            }
        }
    }

    /** The input record's partition has a newer owner, which reads the record again: this transaction was aborted. */
    public static final class Superseded extends KafkaException {
        Superseded(TopicPartition input, long offset, KafkaException cause) {
            super(input + "@" + offset + " has moved on to a newer owner of the partition: " + cause.getMessage(), cause);
        }
    }

    /** The offset to commit for passed records, and the group member they were delivered to. */
    private record Passed(long next, ConsumerGroupMetadata receiver) {
    }

    private final class Lane {
        private final TopicPartition input;
        private final ReentrantLock lock = new ReentrantLock();
        private KafkaProducer<String, byte[]> producer;
        private int generation = -1;
        // guarded by this lane's monitor, not its lock: passing never waits for a transaction
        private Passed pending;
        private long committed = -1;

        Lane(TopicPartition input) {
            this.input = input;
        }

        /** A producer initialised before {@code newer} may have been fenced by an owner in between: replace it. */
        void renewFor(int newer) {
            if (newer > generation) {
                reset();
                generation = newer;
                synchronized (this) {
                    pending = null;
                    committed = -1;
                }
            }
        }

        synchronized void passed(long next, ConsumerGroupMetadata receiver) {
            boolean newer = pending != null && receiver.generationId() > pending.receiver().generationId();
            if (next > committed && (pending == null || newer || next > pending.next())) {
                pending = new Passed(next, receiver);
            }
        }

        synchronized Passed pending() {
            return pending;
        }

        /** The group's offset is {@code next} now: what was passed before it needs no commit of its own. */
        synchronized void committed(long next) {
            committed = Math.max(committed, next);
            dropUpTo(committed);
        }

        synchronized void dropUpTo(long next) {
            if (pending != null && pending.next() <= next) {
                pending = null;
            }
        }

        KafkaProducer<String, byte[]> producer() {
            if (producer == null) {
                // the process's security settings as they are now (a service sets them once its codecs exist)
                Map<String, Object> own = new HashMap<>(KafkaClientSettings.with(settings));
                own.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(input));
                KafkaProducer<String, byte[]> created = new KafkaProducer<>(own);
                try {
                    created.initTransactions();
                } catch (RuntimeException e) {
                    created.close(Duration.ZERO);
                    throw e;
                }
                producer = created;
            }
            return producer;
        }

        void reset() {
            if (producer != null) {
                producer.close(Duration.ZERO);
                producer = null;
            }
        }
    }
}
