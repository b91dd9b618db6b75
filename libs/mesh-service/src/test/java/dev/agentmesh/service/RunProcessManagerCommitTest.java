package dev.agentmesh.service;

import dev.agentmesh.core.Stages;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a real broker under {@code exactly_once_v2}: what a process manager sends is committed as soon as the event that
 * caused it is handled, not at the next commit interval (the next stage waits on it, reading committed records only).
 */
class RunProcessManagerCommitTest {

    static final long COMMIT_INTERVAL_MS = 60_000;

    @Test
    void aWorkersOutputIsReadableLongBeforeTheCommitInterval() throws Exception {
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.inMemoryStore());
        RunProcessManagerTest.Worker worker = new RunProcessManagerTest.Worker(codec);
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) { // with the mesh's topics
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "commit-on-output");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL_MS);
            props.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), (int) COMMIT_INTERVAL_MS * 2);
            props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("commit-on-output").toString());
            try (KafkaStreams streams = new KafkaStreams(RunProcessManager.topology("commit-test", worker, codec,
                    Duration.ofMinutes(10)), props);
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                         ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                         ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                         ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
                 KafkaConsumer<String, byte[]> committed = new KafkaConsumer<>(Map.of(
                         ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                         ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                         ConsumerConfig.GROUP_ID_CONFIG, "commit-test-reader",
                         ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                         ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                         ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
                streams.start();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (streams.state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                RunEvent trigger = RunProcessManagerTest.trigger("a", List.of(Stages.SWEEP));
                producer.send(new ProducerRecord<>(Topics.RUN_EVENTS.name(), "a", codec.encode(trigger))).get();
                committed.subscribe(List.of(Topics.RUN_EVENTS.name()));

                long t0 = System.nanoTime();
                boolean started = false;
                while (!started && System.nanoTime() - t0 < Duration.ofSeconds(20).toNanos()) {
                    for (ConsumerRecord<String, byte[]> r : committed.poll(Duration.ofMillis(200))) {
                        started |= !codec.decode(r.value()).getEnvelope().getEventId()
                                .equals(trigger.getEnvelope().getEventId()); // what the worker sent
                    }
                }
                long tookMs = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(started && tookMs < COMMIT_INTERVAL_MS / 3, "the worker's StageStarted was readable "
                        + (started ? "after " + tookMs + " ms" : "not within 20 s") + "; the commit interval is "
                        + COMMIT_INTERVAL_MS + " ms");
            }
        }
    }
}
