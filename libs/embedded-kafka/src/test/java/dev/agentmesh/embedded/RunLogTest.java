package dev.agentmesh.embedded;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageStarted;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A run's events read from the log: all of them, or only from its trigger time on (earlier runs skipped). */
class RunLogTest {

    @Test
    void aRunReadFromItsTriggerTimeSkipsWhatWasStampedBeforeIt() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()));
            Instant triggered = Instant.now();
            Envelopes envelopes = new Envelopes("test", "t");
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
                // stamped an hour before the trigger: an earlier life of the same key, outside the clock slack
                send(producer, codec, envelopes, "run-l", "old", triggered.minus(Duration.ofHours(1)));
                // a few minutes early: another producer's clock, inside the slack
                send(producer, codec, envelopes, "run-l", "skewed", triggered.minus(Duration.ofMinutes(3)));
                send(producer, codec, envelopes, "run-l", "now", triggered);
                send(producer, codec, envelopes, "run-other", "now", triggered);
                producer.flush();
            }
            List<String> all = stages(RunLog.read(kafka.bootstrapServers(), codec, "run-l", Duration.ofSeconds(30)));
            assertEquals(List.of("old", "skewed", "now"), all);
            List<String> fromTrigger = stages(RunLog.read(kafka.bootstrapServers(), codec, "run-l", triggered, Duration.ofSeconds(30)));
            assertEquals(List.of("skewed", "now"), fromTrigger);
            assertEquals(List.of(), stages(RunLog.read(kafka.bootstrapServers(), codec, "run-l", triggered.plus(Duration.ofHours(1)),
                    Duration.ofSeconds(30))), "nothing stamped that late");
        }
    }

    static void send(KafkaProducer<String, byte[]> producer, MeshCodec<RunEvent> codec, Envelopes envelopes, String runId,
                     String stage, Instant stamped) {
        RunEvent event = RunEvents.started(envelopes.origin(runId, null), stage);
        producer.send(new ProducerRecord<>(Topics.RUN_EVENTS.name(), null, stamped.toEpochMilli(), runId, codec.encode(event)));
    }

    static List<String> stages(List<RunEvent> events) {
        return events.stream().map(e -> ((StageStarted) e.getPayload()).getStage()).toList();
    }
}
