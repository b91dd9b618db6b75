package dev.agentmesh.embedded;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Replayable;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.kafka.RunRecords;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stage's input read from the log: one run's records, each once, on long-lived pooled consumers. */
class RunRecordsTest {

    static EmbeddedKafka kafka;
    static MeshCodec<DataRow> rows;
    static final Instant TRIGGERED = Instant.now();

    @BeforeAll
    static void broker() throws Exception {
        kafka = EmbeddedKafka.start(); // creates the mesh's topics
        rows = new MeshCodec<>(Topics.ROWS_VALIDATED, SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            // run-a: rows 0..9, with 0..4 written twice (a stage that ran again); run-b: rows of another run
            for (long i = 0; i < 5; i++) {
                send(producer, "run-a", i);
            }
            for (long i = 0; i < 10; i++) {
                send(producer, "run-a", i);
                send(producer, "run-b", 100 + i);
            }
            producer.flush();
        }
    }

    static Future<RecordMetadata> send(KafkaProducer<String, byte[]> producer, String runId, long index) {
        DataRow row = new DataRow(new Envelopes("test", "t").origin(runId, null), index, Map.of("x", Long.toString(index)));
        return producer.send(new ProducerRecord<>(Topics.ROWS_VALIDATED.name(), runId, rows.encode(row)));
    }

    @AfterAll
    static void stop() {
        rows.close();
        kafka.close();
    }

    @Test
    void aRunsRecordsArriveOnceInLogOrderAndEveryPassReadsThemAgain() {
        try (RunRecords input = new RunRecords(kafka.bootstrapServers(), 1)) {
            Replayable<DataRow> runA = input.of(Topics.ROWS_VALIDATED, rows, "run-a", TRIGGERED, OptionalLong.empty(), 10,
                    DataRow::getRowIndex, Duration.ofSeconds(30));
            for (int pass = 0; pass < 3; pass++) {
                List<Long> seen = new ArrayList<>();
                assertEquals(10, runA.forEach(r -> seen.add(r.getRowIndex())), "pass " + pass);
                assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), seen,
                        "each row once, in the order the log holds them, none of another run (pass " + pass + ")");
            }
            List<Long> other = new ArrayList<>();
            input.forEach(Topics.ROWS_VALIDATED, rows, "run-b", TRIGGERED, OptionalLong.empty(), 10, DataRow::getRowIndex,
                    Duration.ofSeconds(30), r -> other.add(r.getRowIndex()));
            assertEquals(10, other.size());
            assertTrue(other.stream().allMatch(i -> i >= 100), "the same pooled consumer reads another run's partition");
        }
    }

    @Test
    void aReadStartsAtTheRunsFirstOffsetWhenItIsKnownAndFallsBackToTheTriggerTimeWhenTheOffsetIsNotTheRuns() throws Exception {
        long first;
        long otherRunsRecord = -1;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            int partitions = producer.partitionsFor(Topics.ROWS_VALIDATED.name()).size();
            String neighbour = IntStream.range(0, 1000).mapToObj(i -> "neighbour-" + i)
                    .filter(k -> RunLog.partitionOf(k, partitions) == RunLog.partitionOf("run-c", partitions))
                    .findFirst().orElseThrow();
            first = send(producer, "run-c", 0).get().offset();
            for (long i = 1; i < 10; i++) {
                long offset = send(producer, neighbour, 500 + i).get().offset();
                otherRunsRecord = otherRunsRecord < 0 ? offset : otherRunsRecord;
                send(producer, "run-c", i);
            }
            producer.flush();
        }
        Instant later = Instant.now().plus(Duration.ofHours(1)); // searched by this time, the partition has nothing
        try (RunRecords input = new RunRecords(kafka.bootstrapServers(), 1)) {
            List<Long> seen = new ArrayList<>();
            assertEquals(10, input.forEach(Topics.ROWS_VALIDATED, rows, "run-c", later, OptionalLong.of(first), 10,
                    DataRow::getRowIndex, Duration.ofSeconds(30), r -> seen.add(r.getRowIndex())),
                    "read from the run's first offset, not by time");
            assertEquals(LongStream.range(0, 10).boxed().toList(), seen);
            assertEquals(10, input.forEach(Topics.ROWS_VALIDATED, rows, "run-c", TRIGGERED, OptionalLong.of(otherRunsRecord),
                    10, DataRow::getRowIndex, Duration.ofSeconds(30), r -> { }), "another run's record: read by time");
            assertEquals(10, input.forEach(Topics.ROWS_VALIDATED, rows, "run-c", TRIGGERED, OptionalLong.of(first + 1_000_000),
                    10, DataRow::getRowIndex, Duration.ofSeconds(30), r -> { }), "an offset past the log's end: read by time");
        }
    }

    @Test
    void aReadThatStopsGettingRecordsFailsWithWhatItGot() {
        try (RunRecords input = new RunRecords(kafka.bootstrapServers(), 1)) {
            IllegalStateException stalled = assertThrows(IllegalStateException.class, () -> input.forEach(
                    Topics.ROWS_VALIDATED, rows, "run-a", TRIGGERED, OptionalLong.empty(), 12, DataRow::getRowIndex, Duration.ofSeconds(2), r -> { }));
            assertTrue(stalled.getMessage().contains("read 10 of 12 records of run run-a"), stalled.getMessage());
            assertEquals(10, input.forEach(Topics.ROWS_VALIDATED, rows, "run-a", TRIGGERED, OptionalLong.empty(), 10, DataRow::getRowIndex,
                    Duration.ofSeconds(30), r -> { }), "the consumer went back to the pool and reads again");
        }
    }
}
