package dev.agentmesh.service;

import dev.agentmesh.embedded.EmbeddedKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * On a real broker under {@code exactly_once_v2}: what the buffer holds reaches the changelog in the transaction that
 * commits the input offsets, not later (Kafka Streams writes a store's changelog at a commit only through its cache
 * hook; the store's own flush comes at checkpoints, thousands of records apart).
 */
class CommitBufferedStoreExactlyOnceTest {

    static final String APP = "buffered-eos";
    static final String IN = "buffered-in";
    static final String STORE = "latest";

    @Test
    void theChangelogHoldsEveryCommittedValueWhileTheAppRuns() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(IN, 1, (short) 1))).all().get();
            Topology topology = new Topology();
            topology.addSource("in", Serdes.String().deserializer(), Serdes.String().deserializer(), IN);
            topology.addProcessor("latest", Latest::new, "in");
            topology.addStateStore(CommitBufferedStore.builder(Stores.keyValueStoreBuilder(
                    Stores.persistentKeyValueStore(STORE), Serdes.String(), Serdes.String()), Comparator.naturalOrder()),
                    "latest");
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
            props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("buffered-eos").toString());
            try (KafkaStreams streams = new KafkaStreams(topology, props);
                 KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                         ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                         ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                         ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
                streams.start();
                for (String v : List.of("1", "2", "3")) {
                    producer.send(new ProducerRecord<>(IN, "run-1", v)).get();
                }
                TopicPartition input = new TopicPartition(IN, 0);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                OffsetAndMetadata committed = null;
                while ((committed == null || committed.offset() < 3) && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    committed = admin.listConsumerGroupOffsets(APP).partitionsToOffsetAndMetadata().get().get(input);
                }
                assertEquals(3, committed == null ? -1 : committed.offset(), "the app committed all three inputs");
                // (the transaction's markers may reach the changelog a moment after its offsets are visible)
                String last = changelog(kafka.bootstrapServers()).get("run-1");
                long markers = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (!"3".equals(last) && System.nanoTime() < markers) {
                    Thread.sleep(100);
                    last = changelog(kafka.bootstrapServers()).get("run-1");
                }
                assertEquals("3", last, "the committed offsets came with the state they produced");
            }
        }
    }

    /** The last committed value per key in the store's changelog. */
    static Map<String, String> changelog(String bootstrap) {
        TopicPartition partition = new TopicPartition(APP + "-" + STORE + "-changelog", 0);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            consumer.assign(Set.of(partition));
            consumer.seekToBeginning(Set.of(partition));
            long end = consumer.endOffsets(Set.of(partition)).get(partition);
            Map<String, String> latest = new HashMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    latest.put(r.key(), r.value());
                }
            }
            return latest;
        }
    }

    static final class Latest implements Processor<String, String, Void, Void> {
        private KeyValueStore<String, String> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, String> record) {
            store.put(record.key(), record.value());
        }
    }
}
