package dev.agentmesh.embedded;

import dev.agentmesh.kafka.client.TopicTail;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mesh's view of whole topics, on a real broker: barrier, poison records, topics that appear later. */
class TopicTailTest {

    static EmbeddedKafka kafka;
    static KafkaProducer<String, String> producer;

    @BeforeAll
    static void broker() {
        kafka = EmbeddedKafka.start();
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    @AfterAll
    static void stop() {
        producer.close();
        kafka.close();
    }

    static void create(String topic, int partitions) throws ExecutionException, InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        }
    }

    static void send(String topic, String key, String value) throws ExecutionException, InterruptedException {
        producer.send(new ProducerRecord<>(topic, key, value)).get();
    }

    @Test
    void aBarrierSeesEveryRecordWrittenBeforeItAndAPoisonRecordIsSkipped() throws Exception {
        create("tail-a", 3);
        for (int i = 0; i < 50; i++) {
            send("tail-a", "k" + i, Integer.toString(i));
        }
        Map<String, Integer> view = new ConcurrentHashMap<>();
        try (TopicTail tail = TopicTail.start("a", kafka.bootstrapServers(), List.of("tail-a"), r ->
                view.put(new String(r.key(), StandardCharsets.UTF_8), Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8))))) {
            tail.awaitCaughtUp(Duration.ofSeconds(30));
            assertTrue(tail.caughtUp());
            assertEquals(50, view.size(), "everything written before the first barrier");

            send("tail-a", "poison", "not a number");
            for (int round = 0; round < 20; round++) {
                send("tail-a", "r" + round, Integer.toString(round));
                tail.awaitCaughtUp(Duration.ofSeconds(10));
                assertEquals(round, view.get("r" + round), "read your write, round " + round);
            }
            assertFalse(view.containsKey("poison"), "the record the fold cannot use is skipped, and the view goes on");
        }
    }

    @Test
    void aTopicCreatedAfterTheViewStartedJoinsIt() throws Exception {
        create("tail-b", 1);
        Map<String, String> view = new ConcurrentHashMap<>();
        try (TopicTail tail = TopicTail.start("b", kafka.bootstrapServers(), List.of("tail-b", "tail-later"), r ->
                view.put(r.topic(), new String(r.value(), StandardCharsets.UTF_8)))) {
            tail.awaitCaughtUp(Duration.ofSeconds(30));
            create("tail-later", 2);
            send("tail-later", "x", "late");
            tail.awaitCaughtUp(Duration.ofSeconds(30));
            assertEquals("late", view.get("tail-later"));
        }
    }

    @Test
    void aBarrierIsNotHeldUpByAnOpenTransactionOnItsTopic() throws Exception {
        create("tail-tx", 1);
        send("tail-tx", "before", "1");
        Map<String, String> view = new ConcurrentHashMap<>();
        try (KafkaProducer<String, String> tx = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tail-test-tx",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
             TopicTail tail = TopicTail.start("tx", kafka.bootstrapServers(), List.of("tail-tx"), r ->
                     view.put(new String(r.key(), StandardCharsets.UTF_8), new String(r.value(), StandardCharsets.UTF_8)))) {
            tx.initTransactions();
            tx.beginTransaction();
            tx.send(new ProducerRecord<>("tail-tx", "open", "2")).get();
            long started = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                tail.awaitCaughtUp(Duration.ofSeconds(5));
            }
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertTrue(tookMs < 3000, "ten barriers with a transaction open took " + tookMs + " ms");
            assertEquals("1", view.get("before"));
            assertFalse(view.containsKey("open"), "an uncommitted record is not in the view");
            tx.commitTransaction();
            // the commit markers reach the partition shortly after commitTransaction returns
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!view.containsKey("open") && System.nanoTime() < until) {
                tail.awaitCaughtUp(Duration.ofSeconds(5));
            }
            assertEquals("2", view.get("open"), "a committed one is");
        }
    }

    @Test
    void aClosedViewRefusesABarrier() {
        TopicTail tail = TopicTail.start("c", kafka.bootstrapServers(), List.of("tail-none"), r -> { });
        tail.close();
        assertThrows(IllegalStateException.class, () -> tail.awaitCaughtUp(Duration.ofSeconds(1)));
    }
}
