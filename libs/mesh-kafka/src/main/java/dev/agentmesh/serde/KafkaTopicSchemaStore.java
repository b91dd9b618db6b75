package dev.agentmesh.serde;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Schema store kept in the compacted {@code mesh.schemas} topic: the embedded default's stand-in for a
 * registry server. Every process on the same broker reads the same topic, so ids agree across processes.
 */
public final class KafkaTopicSchemaStore implements SchemaStore, AutoCloseable {

    private static final Map<String, KafkaTopicSchemaStore> BY_BOOTSTRAP = new ConcurrentHashMap<>();
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(30);

    private final String bootstrapServers;
    private final String topic = Topics.SCHEMAS.name();
    private final Map<Long, String> schemas = new ConcurrentHashMap<>();
    private long nextOffset;
    private KafkaProducer<String, String> producer;

    private KafkaTopicSchemaStore(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /** One store per broker per process; it lives as long as the process. */
    public static KafkaTopicSchemaStore forBootstrap(String bootstrapServers) {
        return BY_BOOTSTRAP.computeIfAbsent(bootstrapServers, KafkaTopicSchemaStore::new);
    }

    /** Closes the store kept for a broker, if any, e.g. before that broker shuts down. */
    public static void closeFor(String bootstrapServers) {
        KafkaTopicSchemaStore store = BY_BOOTSTRAP.get(bootstrapServers);
        if (store != null) {
            store.close();
        }
    }

    @Override
    public synchronized long register(String schemaText) {
        long id = SchemaStore.idFor(schemaText);
        Optional<String> existing = lookup(id);
        if (existing.isPresent()) {
            if (!existing.get().equals(schemaText)) {
                throw SchemaStore.collision(id, existing.get(), schemaText);
            }
            return id;
        }
        ensureTopic();
        try {
            producer().send(new ProducerRecord<>(topic, Long.toString(id), schemaText)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while registering schema " + id, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not register schema " + id + " in " + topic, e.getCause());
        }
        schemas.put(id, schemaText);
        return id;
    }

    @Override
    public Optional<String> lookup(long id) {
        String known = schemas.get(id);
        if (known == null) {
            catchUp();
            known = schemas.get(id);
        }
        return Optional.ofNullable(known);
    }

    /** Reads the topic from where this store last stopped up to its current end. */
    private synchronized void catchUp() {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(KafkaClientSettings.with(config))) {
            if (consumer.partitionsFor(topic, CATCH_UP_TIMEOUT).isEmpty()) {
                return;
            }
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seek(partition, nextOffset);
            long end = consumer.endOffsets(List.of(partition), CATCH_UP_TIMEOUT).get(partition);
            long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
            while (consumer.position(partition) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading " + topic + " up to offset " + end);
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() != null) {
                        schemas.putIfAbsent(Long.parseLong(record.key()), record.value());
                    }
                }
            }
            nextOffset = consumer.position(partition);
        } catch (UnknownTopicOrPartitionException absent) {
            // nothing registered yet
        }
    }

    private void ensureTopic() {
        try (Admin admin = Admin.create(KafkaClientSettings.with(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers)))) {
            admin.createTopics(List.of(new NewTopic(topic, Topics.SCHEMAS.partitions(), (short) -1)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))))
                    .all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("could not create " + topic, e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private KafkaProducer<String, String> producer() {
        if (producer == null) {
            producer = new KafkaProducer<>(KafkaClientSettings.with(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class)));
        }
        return producer;
    }

    @Override
    public synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
        BY_BOOTSTRAP.remove(bootstrapServers, this);
    }
}
