package dev.agentmesh.service;

import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.kafka.client.ConsumerGroupLag;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ConsumerLagMetricsTest {

    @Test
    void theGroupsAreEveryChannelsGroupAndTheStreamsApplication() {
        Map<String, String> config = Map.of(
                "mp.messaging.incoming.run-events.group.id", "publisher",
                "mp.messaging.incoming.rows-redriven.group.id", "publisher-redrive",
                "mp.messaging.incoming.tail.topic", "mesh.grants",
                "mp.messaging.outgoing.out.group.id", "not-a-consumer",
                "quarkus.kafka-streams.application-id", "run-state",
                "mesh.kafka.transactional-id-prefix", "publisher");
        assertEquals(Set.of("publisher", "publisher-redrive", "run-state"),
                ConsumerLagMetrics.groups(config.keySet(), config::get));
    }

    @Test
    void lagIsWhatTheGroupCanReadAndHasNotCommittedPastPerPartition() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("lagging", 2, (short) 1))).all().get();
            try (KafkaProducer<String, String> plain = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
                 KafkaProducer<String, String> open = new KafkaProducer<>(Map.of(
                         ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                         ProducerConfig.TRANSACTIONAL_ID_CONFIG, "lag-" + UUID.randomUUID(),
                         ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                         ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
                for (int i = 0; i < 5; i++) {
                    plain.send(new ProducerRecord<>("lagging", 0, "k", "v" + i)).get();
                }
                for (int i = 0; i < 3; i++) {
                    plain.send(new ProducerRecord<>("lagging", 1, "k", "v" + i)).get();
                }
                // A transaction still open is not readable under read_committed: it is not lag yet.
                open.initTransactions();
                open.beginTransaction();
                open.send(new ProducerRecord<>("lagging", 1, "k", "uncommitted")).get();
                open.flush();

                try (KafkaConsumer<String, String> group = new KafkaConsumer<>(Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG, "laggard",
                        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
                    group.commitSync(Map.of(new TopicPartition("lagging", 0), new OffsetAndMetadata(2),
                            new TopicPartition("lagging", 1), new OffsetAndMetadata(3)));
                }
                Map<TopicPartition, Long> lag = ConsumerGroupLag.of(admin, "laggard", Duration.ofSeconds(10));
                assertEquals(Map.of(new TopicPartition("lagging", 0), 3L, new TopicPartition("lagging", 1), 0L), lag);
                assertEquals(3L, ConsumerGroupLag.total(lag));

                open.commitTransaction();
                // commitTransaction returns before the markers are written: wait for the last stable offset to move.
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                long committedLag = 0;
                while (committedLag == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                    committedLag = ConsumerGroupLag.of(admin, "laggard", Duration.ofSeconds(10))
                            .get(new TopicPartition("lagging", 1));
                }
                assertEquals(2L, committedLag, "the committed record and its marker are ahead of the group");
                assertEquals(Map.of(), ConsumerGroupLag.of(admin, "never-committed", Duration.ofSeconds(10)));
            }
        }
    }
}
