package dev.agentmesh.embedded;

import dev.agentmesh.kafka.StageTransactions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A stage's effects and its input offset, committed together or not at all, on a real broker. */
class StageTransactionsTest {

    static final String IN = "stage-tx-in";
    static final String MOVED_IN = "stage-tx-moved-in";
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static EmbeddedKafka kafka;
    static Admin admin;

    @BeforeAll
    static void broker() throws Exception {
        kafka = EmbeddedKafka.start();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
        admin.createTopics(List.of(new NewTopic(IN, 3, (short) 1), new NewTopic("stage-tx-out-commit", 1, (short) 1),
                new NewTopic("stage-tx-out-abort", 1, (short) 1), new NewTopic("stage-tx-out-discard", 1, (short) 1),
                new NewTopic("stage-tx-out-fence", 1, (short) 1),
                new NewTopic("stage-tx-out-prepare", 1, (short) 1), new NewTopic(MOVED_IN, 1, (short) 1),
                new NewTopic("stage-tx-out-moved", 1, (short) 1))).all().get();
    }

    @AfterAll
    static void stop() {
        admin.close();
        kafka.close();
    }

    StageTransactions transactions(String group) {
        return new StageTransactions(kafka.bootstrapServers(), group, TIMEOUT);
    }

    @Test
    void aCommittedTransactionShowsItsRecordsOnceAndCommitsTheInputOffset() throws Exception {
        try (StageTransactions stage = transactions("commit-stage")) {
            try (StageTransactions.Transaction tx = stage.begin(IN, 1, 41, outsideAnyGeneration("commit-stage"))) {
                tx.send("stage-tx-out-commit", "run-1", bytes("a"), null);
                tx.send("stage-tx-out-commit", "run-1", bytes("b"), null);
                tx.commit();
            }
        }
        assertEquals(List.of("a", "b"), committed("stage-tx-out-commit"));
        assertEquals(42, offset("commit-stage", 1).offset(), "the next record to read is the one after the cause");
    }

    @Test
    void aTransactionClosedWithoutCommittingLeavesNothingAndTheInputToReadAgain() throws Exception {
        try (StageTransactions stage = transactions("abort-stage")) {
            try (StageTransactions.Transaction tx = stage.begin(IN, 0, 7, outsideAnyGeneration("abort-stage"))) {
                tx.send("stage-tx-out-abort", "run-1", bytes("lost"), null);
                tx.flush(); // on the broker, but never committed
            }
            try (StageTransactions.Transaction tx = stage.begin(IN, 0, 7, outsideAnyGeneration("abort-stage"))) {
                tx.send("stage-tx-out-abort", "run-1", bytes("again"), null);
                tx.send("stage-tx-out-abort", "run-1", bytes("and more"), null);
                tx.commit();
                assertEquals(OptionalLong.of(2), tx.firstOffset("stage-tx-out-abort"),
                        "where this transaction's records start: after the aborted record (0) and its abort marker (1)");
                assertEquals(OptionalLong.empty(), tx.firstOffset("stage-tx-out-commit"), "nothing sent there");
            }
        }
        assertEquals(List.of("again", "and more"), committed("stage-tx-out-abort"));
        assertEquals(8, offset("abort-stage", 0).offset());
    }

    @Test
    void discardingDropsWhatWasSentBeforeAndKeepsWhatFollows() throws Exception {
        try (StageTransactions stage = transactions("discard-stage");
             StageTransactions.Transaction tx = stage.begin(IN, 2, 0, outsideAnyGeneration("discard-stage"))) {
            tx.send("stage-tx-out-discard", "run-1", bytes("partial"), null);
            tx.flush();
            tx.discard();
            tx.send("stage-tx-out-discard", "run-1", bytes("failed"), null);
            tx.commit();
            assertEquals(OptionalLong.of(2), tx.firstOffset("stage-tx-out-discard"), "the discarded record's offset is forgotten");
        }
        assertEquals(List.of("failed"), committed("stage-tx-out-discard"));
    }

    @Test
    void theNextOwnerOfAPartitionFencesThePreviousOneAndItsOpenTransactionNeverShows() throws Exception {
        try (StageTransactions first = transactions("fence-stage"); StageTransactions second = transactions("fence-stage")) {
            StageTransactions.Transaction zombie = first.begin(IN, 0, 3, outsideAnyGeneration("fence-stage"));
            zombie.send("stage-tx-out-fence", "run-1", bytes("zombie"), null);
            zombie.flush();
            try (StageTransactions.Transaction tx = second.begin(IN, 0, 3, outsideAnyGeneration("fence-stage"))) { // takes the partition over
                tx.send("stage-tx-out-fence", "run-1", bytes("owner"), null);
                tx.commit();
            }
            assertThrows(KafkaException.class, zombie::commit, "a fenced producer cannot commit");
            zombie.close();
            assertEquals(List.of("owner"), committed("stage-tx-out-fence"));
            assertEquals(4, offset("fence-stage", 0).offset());
            try (StageTransactions.Transaction tx = first.begin(IN, 0, 4, outsideAnyGeneration("fence-stage"))) { // the fenced instance starts afresh
                tx.send("stage-tx-out-fence", "run-1", bytes("back"), null);
                tx.commit();
            }
            assertEquals(List.of("owner", "back"), committed("stage-tx-out-fence"));
        }
        assertNull(stableOffset("fence-stage", new TopicPartition(IN, 1)), "only the input partition's offset is committed");
    }

    @Test
    void preparingForAnAssignedPartitionFencesItsPreviousOwnerBeforeAnyRecordArrives() throws Exception {
        try (StageTransactions first = transactions("prepare-stage"); StageTransactions second = transactions("prepare-stage")) {
            StageTransactions.Transaction zombie = first.begin(IN, 2, 9, outsideAnyGeneration("prepare-stage"));
            zombie.send("stage-tx-out-prepare", "run-1", bytes("zombie"), null);
            zombie.flush();
            second.prepare(IN, 2, 1); // the partition was just assigned to the second instance
            assertThrows(KafkaException.class, zombie::commit);
            zombie.close();
            assertEquals(List.of(), committed("stage-tx-out-prepare"), "the open transaction was aborted, not left hanging");
        }
    }

    @Test
    void aRecordWhosePartitionMovedOnWhileItWasHandledCommitsNothingAndItsNewOwnerCommitsIt() throws Exception {
        TopicPartition input = new TopicPartition(MOVED_IN, 0);
        try (StageTransactions stage = transactions("moved-stage");
             KafkaConsumer<String, String> first = member("moved-stage");
             KafkaConsumer<String, String> second = member("moved-stage")) {
            first.subscribe(List.of(MOVED_IN));
            awaitGeneration(List.of(first), 1);
            ConsumerGroupMetadata delivered = first.groupMetadata();
            StageTransactions.Transaction late = stage.begin(MOVED_IN, 0, 5, delivered);
            late.send("stage-tx-out-moved", "run-1", bytes("late"), null);
            late.flush();

            // a second member joins: the group rebalances while the first one is still handling its record
            second.subscribe(List.of(MOVED_IN));
            awaitGeneration(List.of(first, second), delivered.generationId() + 1);
            assertThrows(StageTransactions.Superseded.class, late::commit);
            late.close();
            assertEquals(List.of(), committed("stage-tx-out-moved"), "the superseded handling left nothing");
            assertNull(stableOffset("moved-stage", input), "nor moved the group past the record");

            KafkaConsumer<String, String> owner = first.assignment().contains(input) ? first : second;
            try (StageTransactions.Transaction tx = stage.begin(MOVED_IN, 0, 5, owner.groupMetadata())) {
                tx.send("stage-tx-out-moved", "run-1", bytes("owner"), null);
                tx.commit();
            }
            assertEquals(List.of("owner"), committed("stage-tx-out-moved"));
            assertEquals(6, offset("moved-stage", input).offset());
        }
    }

    @Test
    void aFencedProducerIsReplacedWhenItsPartitionComesBackInALaterGeneration() throws Exception {
        try (StageTransactions first = transactions("return-stage"); StageTransactions second = transactions("return-stage")) {
            first.prepare(IN, 1, 1);
            try (StageTransactions.Transaction tx = first.begin(IN, 1, 0, outsideAnyGeneration("return-stage"))) {
                tx.commit();
            }
            second.prepare(IN, 1, 2); // the partition moved to the second instance, which fenced the first one's producer
            first.prepare(IN, 1, 3); // and came back
            try (StageTransactions.Transaction tx = first.begin(IN, 1, 1, outsideAnyGeneration("return-stage"))) {
                tx.commit();
            }
            assertEquals(2, offset("return-stage", 1).offset());
        }
    }

    @Test
    void passedRecordsMoveTheGroupOnWithTheNextTransactionOrOnTheirOwnButNeverBackBehindOne() throws Exception {
        ConsumerGroupMetadata group = outsideAnyGeneration("pass-stage");
        try (StageTransactions stage = transactions("pass-stage")) {
            stage.pass(IN, 0, 3, group);
            stage.commitPassed();
            assertEquals(4, offset("pass-stage", 0).offset(), "a passed record's offset, in a transaction of its own");

            stage.pass(IN, 0, 4, group);
            try (StageTransactions.Transaction tx = stage.begin(IN, 0, 5, group)) {
                tx.commit();
            }
            stage.commitPassed();
            assertEquals(6, offset("pass-stage", 0).offset(), "the transaction carried what was passed before it");

            stage.pass(IN, 0, 4, group); // late word of a record the group is already past
            stage.commitPassed();
            assertEquals(6, offset("pass-stage", 0).offset(), "never back behind a committed transaction");
        }
    }

    @Test
    void passedOffsetsAreCommittedOnTheirOwnWithinTheInterval() throws Exception {
        try (StageTransactions stage = new StageTransactions(kafka.bootstrapServers(), "timed-pass-stage", TIMEOUT,
                Duration.ofMillis(100))) {
            stage.pass(IN, 2, 10, outsideAnyGeneration("timed-pass-stage"));
            assertEquals(11, offset("timed-pass-stage", 2).offset()); // offset() waits for one, up to 10 s
        }
    }

    @Test
    void aPassFromAGenerationThatEndedCommitsNothing() throws Exception {
        TopicPartition input = new TopicPartition(MOVED_IN, 0);
        try (StageTransactions stage = transactions("stale-pass-stage");
             KafkaConsumer<String, String> first = member("stale-pass-stage");
             KafkaConsumer<String, String> second = member("stale-pass-stage")) {
            first.subscribe(List.of(MOVED_IN));
            awaitGeneration(List.of(first), 1);
            stage.pass(MOVED_IN, 0, 2, first.groupMetadata());
            second.subscribe(List.of(MOVED_IN));
            awaitGeneration(List.of(first, second), first.groupMetadata().generationId() + 1);
            stage.commitPassed();
            assertNull(stableOffset("stale-pass-stage", input), "the partition's new owner reads the record again");
        }
    }

    /** A group with no members: the broker checks no generation for it. */
    static ConsumerGroupMetadata outsideAnyGeneration(String group) {
        return new ConsumerGroupMetadata(group);
    }

    static KafkaConsumer<String, String> member(String group) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
    }

    /** Polls every member until all of them are in {@code generation} or a later one. */
    static void awaitGeneration(List<KafkaConsumer<String, String>> members, int generation) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (members.stream().anyMatch(m -> m.groupMetadata().generationId() < generation)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the group never reached generation " + generation);
            }
            members.forEach(m -> m.poll(Duration.ofMillis(100)));
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static OffsetAndMetadata offset(String group, int partition) throws Exception {
        return offset(group, new TopicPartition(IN, partition));
    }

    /**
     * The group's offset once no transaction that commits one is pending (a commit returns before its markers land,
     * and the broker leaves a pending offset out of a stable answer): waits up to 10 s for one to be there.
     */
    static OffsetAndMetadata offset(String group, TopicPartition partition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        OffsetAndMetadata offset = stableOffset(group, partition);
        while (offset == null && System.nanoTime() < deadline) {
            Thread.sleep(50);
            offset = stableOffset(group, partition);
        }
        return offset;
    }

    /** The group's offset now, if one is committed and stable; for asserting that none was. */
    static OffsetAndMetadata stableOffset(String group, TopicPartition partition) throws Exception {
        return admin.listConsumerGroupOffsets(group, new ListConsumerGroupOffsetsOptions().requireStable(true))
                .partitionsToOffsetAndMetadata().get().get(partition);
    }

    /** The end of {@code partition} including records of transactions still open (the high watermark). */
    static long latest(TopicPartition partition) throws Exception {
        return admin.listOffsets(Map.of(partition, OffsetSpec.latest()),
                new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).partitionResult(partition).get().offset();
    }

    /** Every record of a one-partition topic that a read_committed reader sees. */
    static List<String> committed(String topic) throws Exception {
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            consumer.assign(Set.of(partition));
            consumer.seekToBeginning(Set.of(partition));
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            // a commit returns before the broker has written its markers: wait until no transaction is pending
            long end = consumer.endOffsets(Set.of(partition)).get(partition);
            while (end < latest(partition) && System.nanoTime() < deadline) {
                Thread.sleep(20);
                end = consumer.endOffsets(Set.of(partition)).get(partition);
            }
            List<String> values = new ArrayList<>();
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
            return values;
        }
    }
}
