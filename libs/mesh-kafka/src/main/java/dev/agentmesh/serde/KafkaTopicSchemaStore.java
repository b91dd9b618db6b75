package dev.agentmesh.serde;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.kafka.client.TopicTail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
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

    private static final Logger LOG = LoggerFactory.getLogger(KafkaTopicSchemaStore.class);

    private static final Map<String, KafkaTopicSchemaStore> BY_BOOTSTRAP = new ConcurrentHashMap<>();

    private final String bootstrapServers;
    private final String topic = Topics.SCHEMAS.name();
    private final Map<Long, String> schemas = new ConcurrentHashMap<>();
    private final Map<Long, Long> offsets = new ConcurrentHashMap<>();
    private TopicTail tail;
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
            offsets.putIfAbsent(id, producer().send(new ProducerRecord<>(topic, Long.toString(id), schemaText)).get().offset());
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

    /** A schema as the topic holds it: its id, its text, and where it was first written. */
    public record StoredSchema(long id, String text, long offset) {
    }

    /** Every schema in the topic up to its current end, in the order they were first written (the topic's offsets). */
    public List<StoredSchema> all() {
        catchUp();
        return schemas.entrySet().stream()
                .map(e -> new StoredSchema(e.getKey(), e.getValue(), offsets.getOrDefault(e.getKey(), Long.MAX_VALUE)))
                .sorted(Comparator.comparingLong(StoredSchema::offset).thenComparingLong(StoredSchema::id))
                .toList();
    }

    /** Reads the topic up to its current end: a schema another process registered is then known. */
    private void catchUp() {
        TopicTail view;
        synchronized (this) {
            if (tail == null) {
                tail = TopicTail.start("schemas", bootstrapServers, List.of(topic), record -> {
                    // anything else written there is skipped (the review service dead-letters it once)
                    SchemaStore.problem(record.key(), record.value()).ifPresentOrElse(
                            problem -> LOG.warn("skipping {}-{}@{}: {}", record.topic(), record.partition(),
                                    record.offset(), problem),
                            () -> {
                                long id = Long.parseLong(new String(record.key(), StandardCharsets.UTF_8));
                                schemas.putIfAbsent(id, new String(record.value(), StandardCharsets.UTF_8));
                                offsets.putIfAbsent(id, record.offset());
                            });
                });
            }
            view = tail;
        }
        view.awaitCaughtUp();
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
        if (tail != null) {
            tail.close();
            tail = null;
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
        BY_BOOTSTRAP.remove(bootstrapServers, this);
    }
}
