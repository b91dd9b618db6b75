package dev.agentmesh.kafka;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
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
 */
public final class StageTransactions implements AutoCloseable {

    private final Map<String, Object> settings;
    private final String idPrefix;
    private final ConcurrentMap<TopicPartition, Lane> lanes = new ConcurrentHashMap<>();

    /**
     * @param idPrefix the prefix of every {@code transactional.id} (the cluster's ACLs allow the service this prefix)
     * @param timeout  how long a transaction may stay open: longer than the largest stage's work
     */
    public StageTransactions(String bootstrapServers, String idPrefix, Duration timeout) {
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
            lane.producer().beginTransaction();
            return new Transaction(lane, input, offset, receiver);
        } catch (RuntimeException e) {
            lane.reset();
            lane.lock.unlock();
            throw e;
        }
    }

    /**
     * Creates the producer for {@code topic}'s {@code partition} now, if there is none yet, so the first transaction
     * there does not wait for {@code initTransactions}. A failure is left for that transaction to meet again.
     */
    public void prepare(String topic, int partition) {
        Lane lane = lanes.computeIfAbsent(new TopicPartition(topic, partition), Lane::new);
        lane.lock.lock();
        try {
            lane.producer();
        } catch (RuntimeException e) {
            lane.reset();
        } finally {
            lane.lock.unlock();
        }
    }

    /** The {@code transactional.id} of the producer that writes what {@code partition}'s records cause. */
    public String transactionalId(TopicPartition partition) {
        return idPrefix + "-" + partition.topic() + "-" + partition.partition();
    }

    @Override
    public void close() {
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
            lane.producer().send(new ProducerRecord<>(topic, null, key, value, headers), onAck);
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

    private final class Lane {
        private final TopicPartition input;
        private final ReentrantLock lock = new ReentrantLock();
        private KafkaProducer<String, byte[]> producer;

        Lane(TopicPartition input) {
            this.input = input;
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
