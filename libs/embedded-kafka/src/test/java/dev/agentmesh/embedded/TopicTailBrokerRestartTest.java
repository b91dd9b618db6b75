package dev.agentmesh.embedded;

import dev.agentmesh.kafka.client.TopicTail;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A barrier asked while the broker is away (a restart, a leader election) waits for it instead of failing: a grant
 * check or a schema lookup that fails would dead-letter a record that is not at fault, and the run it belongs to
 * would stall. The broker runs as its own process, killed and started again on the same log directory.
 */
class TopicTailBrokerRestartTest {

    static final Duration OUTAGE = Duration.ofSeconds(12);

    @Test
    void aBarrierAskedWhileTheBrokerIsDownWaitsForItToComeBack(@TempDir Path dir) throws Exception {
        try (KafkaCluster cluster = KafkaCluster.start(1, dir)) {
            String bootstrap = cluster.bootstrapServers();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                admin.createTopics(List.of(new NewTopic("tail-restart", 2, (short) 1))).all().get();
            }
            Map<String, String> view = new ConcurrentHashMap<>();
            try (KafkaProducer<String, String> producer = producer(bootstrap);
                 TopicTail tail = TopicTail.start("restart", bootstrap, List.of("tail-restart"), r ->
                         view.put(new String(r.key(), StandardCharsets.UTF_8), new String(r.value(), StandardCharsets.UTF_8)))) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("tail-restart", "before-" + i, Integer.toString(i))).get();
                }
                tail.awaitCaughtUp();
                assertEquals(10, view.size());

                cluster.kill(1);
                CompletableFuture<Void> back = CompletableFuture.runAsync(() -> {
                    MeshSleep.sleep(OUTAGE);
                    cluster.start(1, Duration.ofMinutes(2));
                });
                long asked = System.nanoTime();
                tail.awaitCaughtUp();
                long waitedMs = (System.nanoTime() - asked) / 1_000_000;
                back.join();
                assertTrue(waitedMs >= OUTAGE.toMillis(), "the barrier answered only once the broker was back: " + waitedMs + " ms");

                producer.send(new ProducerRecord<>("tail-restart", "after", "x")).get();
                tail.awaitCaughtUp();
                assertEquals("x", view.get("after"), "the view goes on reading after the restart");
                assertEquals(11, view.size());
            }
        }
    }

    static KafkaProducer<String, String> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    /** Sleeps without a checked exception, for a lambda. */
    static final class MeshSleep {
        static void sleep(Duration d) {
            try {
                Thread.sleep(d.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
