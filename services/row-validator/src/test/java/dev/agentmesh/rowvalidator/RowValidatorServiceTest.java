package dev.agentmesh.rowvalidator;

import dev.agentmesh.contract.RowValidationAgent;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.kafka.GrantPublisher;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.testing.EmbeddedKafkaResource;
import dev.agentmesh.testing.TestGrants;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.fault.KafkaDeadLetterQueue;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import dev.agentmesh.kafka.RunLog;
import java.util.Set;
import java.util.stream.Collectors;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.*;

/** The service against a real embedded broker. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
class RowValidatorServiceTest {

    static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void deadLetterHeaderNamesAreSmallRyes() {
        assertEquals(KafkaDeadLetterQueue.DEAD_LETTER_REASON, MeshHeaders.DLQ_REASON);
        assertEquals(KafkaDeadLetterQueue.DEAD_LETTER_TOPIC, MeshHeaders.DLQ_TOPIC);
        assertEquals(KafkaDeadLetterQueue.DEAD_LETTER_PARTITION, MeshHeaders.DLQ_PARTITION);
        assertEquals(KafkaDeadLetterQueue.DEAD_LETTER_OFFSET, MeshHeaders.DLQ_OFFSET);
        assertEquals(KafkaDeadLetterQueue.DEAD_LETTER_CAUSE, MeshHeaders.DLQ_CAUSE);
    }

    @Test
    void aTriggerUnderAForgedGrantIsRefusedVisiblyAndDeadLettered() {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        String forged = TestGrants.publishNightlyRoot(bootstrap, GrantKeys.generate());
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        RunEvent trigger = RunEvents.triggered(new Envelopes("meshctl", "test").origin("run-forged", forged), "nightly",
                "mallory", SourceKind.CSV, PlantedRows.CREDIT_G.toString(), "credit-g", List.of(RowValidationAgent.STAGE), Map.of());
        byte[] bytes = codec.encode(trigger);
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-forged".getBytes(), bytes);

        List<ConsumerRecord<byte[], byte[]>> dead = TopicProbe.readUntil(bootstrap, Topics.DEAD_LETTER.name(), WAIT,
                seen -> seen.stream().anyMatch(r -> java.util.Arrays.equals(bytes, r.value())));
        ConsumerRecord<byte[], byte[]> refused = dead.stream().filter(r -> java.util.Arrays.equals(bytes, r.value()))
                .findFirst().orElseThrow();
        assertTrue(TopicProbe.header(refused, MeshHeaders.DLQ_REASON).contains("root grant not signed by the principal"),
                TopicProbe.header(refused, MeshHeaders.DLQ_REASON));

        List<ConsumerRecord<byte[], byte[]>> events = TopicProbe.readUntil(bootstrap, Topics.RUN_EVENTS.name(), WAIT,
                seen -> seen.stream().filter(r -> "run-forged".equals(TopicProbe.key(r)))
                        .map(r -> codec.decode(r.value())).anyMatch(e -> e.getPayload() instanceof StageFailed));
        StageFailed failed = events.stream().filter(r -> "run-forged".equals(TopicProbe.key(r)))
                .map(r -> codec.decode(r.value()).getPayload()).filter(StageFailed.class::isInstance)
                .map(StageFailed.class::cast).findFirst().orElseThrow();
        assertTrue(failed.getReason().startsWith("unauthorised: grant "), failed.getReason());
        assertTrue(events.stream().filter(r -> "run-forged".equals(TopicProbe.key(r)))
                .map(r -> codec.decode(r.value()).getPayload()).noneMatch(StageCompleted.class::isInstance),
                "no work is done under a forged grant");
    }

    @Test
    void theGroupMovesPastEveryRunEventWhetherItStartedTheStageWasNotItsCueOrWasDeadLettered() throws Exception {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        String grant = TestGrants.publishNightlyRoot(bootstrap, EmbeddedKafkaResource.principal());
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-poison-offset".getBytes(), "not avro".getBytes());
        RunEvent other = RunEvents.started(new Envelopes("feature-extractor", "test").origin("run-other-offset", grant),
                "feature-extraction");
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-other-offset".getBytes(), codec.encode(other));

        // the stage's transactions are the group's only offset commits: records that cause nothing are passed to them
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Set<TopicPartition> partitions = Set.of(
                    new TopicPartition(Topics.RUN_EVENTS.name(), RunLog.partitionOf("run-poison-offset", Topics.RUN_EVENTS.partitions())),
                    new TopicPartition(Topics.RUN_EVENTS.name(), RunLog.partitionOf("run-other-offset", Topics.RUN_EVENTS.partitions())));
            Map<TopicPartition, Long> behind = Map.of();
            long deadline = System.nanoTime() + WAIT.toNanos();
            do {
                Thread.sleep(200);
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("row-validator")
                        .partitionsToOffsetAndMetadata().get();
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(
                        partitions.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())),
                        new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
                behind = partitions.stream().filter(tp -> committed.get(tp) == null
                                || committed.get(tp).offset() < ends.get(tp).offset())
                        .collect(Collectors.toMap(tp -> tp, tp -> ends.get(tp).offset()
                                - (committed.get(tp) == null ? 0 : committed.get(tp).offset())));
            } while (!behind.isEmpty() && System.nanoTime() < deadline);
            assertEquals(Map.of(), behind, "records the row-validator group has not moved past, by partition");
        }
    }

    @Test
    void malformedBytesAreDeadLetteredAndTheNextTriggerIsStillProcessed() {
        Path dir = sourceDir();
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        byte[] garbage = "definitely not avro".getBytes(StandardCharsets.UTF_8);
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-bad".getBytes(), garbage);

        Path planted = PlantedRows.write(dir, Map.of(10, PlantedRows.withAge("7")));
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        String grant = TestGrants.publishNightlyRoot(bootstrap, EmbeddedKafkaResource.principal());
        RunEvent trigger = RunEvents.triggered(new Envelopes("meshctl", "test").origin("run-good", grant), "nightly", "test",
                SourceKind.CSV, planted.toString(), "credit-g", List.of(RowValidationAgent.STAGE), Map.of());
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-good".getBytes(), codec.encode(trigger));

        // The garbage is in the dead-letter topic, byte for byte, with SmallRye's reason headers.
        List<ConsumerRecord<byte[], byte[]>> dead = TopicProbe.readUntil(bootstrap, Topics.DEAD_LETTER.name(), WAIT,
                seen -> seen.stream().anyMatch(r -> java.util.Arrays.equals(garbage, r.value()))
                        && seen.stream().anyMatch(r -> "run-good".equals(TopicProbe.header(r, MeshHeaders.RUN_ID))));
        ConsumerRecord<byte[], byte[]> malformed = dead.stream()
                .filter(r -> java.util.Arrays.equals(garbage, r.value())).findFirst().orElseThrow();
        assertEquals(Topics.RUN_EVENTS.name(), TopicProbe.header(malformed, MeshHeaders.DLQ_TOPIC));
        assertNotNull(TopicProbe.header(malformed, MeshHeaders.DLQ_PARTITION));
        assertNotNull(TopicProbe.header(malformed, MeshHeaders.DLQ_OFFSET));
        assertTrue(TopicProbe.header(malformed, MeshHeaders.DLQ_REASON).contains("magic byte"),
                TopicProbe.header(malformed, MeshHeaders.DLQ_REASON));

        // The planted bad row is dead-lettered too, decodable, with its field-level reason.
        ConsumerRecord<byte[], byte[]> badRow = dead.stream()
                .filter(r -> "run-good".equals(TopicProbe.header(r, MeshHeaders.RUN_ID))).findFirst().orElseThrow();
        assertEquals("age: a sensitive value is below the minimum 18.0", TopicProbe.header(badRow, MeshHeaders.ROW_REJECTIONS));
        assertEquals("10", TopicProbe.header(badRow, MeshHeaders.DLQ_OFFSET));
        DataRow row = new MeshCodec<>(Topics.ROWS_VALIDATED, SerdeSettings.kafkaTopicStore(bootstrap)).decode(badRow.value());
        assertEquals("7", row.getValues().get("age"));

        // And the valid trigger after the garbage completed its stage.
        StageCompleted completed = (StageCompleted) finished(bootstrap, codec, "run-good");
        assertEquals(999L, completed.getCounts().get("rows.out"));
        assertEquals(1L, completed.getCounts().get("rows.rejected"));
        // ... and says where its rows start, so the next stage seeks there instead of searching by time.
        assertEquals(Topics.ROWS_VALIDATED.name(), completed.getHandoff().getRecordsTopic());
        long firstRow = TopicProbe.readUntil(bootstrap, Topics.ROWS_VALIDATED.name(), WAIT,
                        seen -> seen.stream().anyMatch(r -> "run-good".equals(TopicProbe.key(r))))
                .stream().filter(r -> "run-good".equals(TopicProbe.key(r))).findFirst().orElseThrow().offset();
        assertEquals(firstRow, completed.getHandoff().getRecordsFrom());

        // The service is still healthy after the bad record.
        given().when().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
    }

    @Test
    void aRunWhoseSourceIsARawRowsTopicValidatesThatBatchAndDeadLettersWhatDoesNotDecode() {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        MeshCodec<dev.agentmesh.data.RawRow> raw = new MeshCodec<>(Topics.ROWS_RAW, SerdeSettings.kafkaTopicStore(bootstrap));
        List<Map<String, String>> rows = dev.agentmesh.contract.CsvRows.read(PlantedRows.CREDIT_G).rows();
        for (int i = 0; i < 20; i++) {
            Map<String, String> values = new java.util.HashMap<>(rows.get(i));
            if (i == 4) {
                values.put("age", "7");
            }
            TopicProbe.send(bootstrap, Topics.ROWS_RAW.name(), "batch-7".getBytes(), raw.encode(
                    new dev.agentmesh.data.RawRow(new java.util.HashMap<>(values))));
        }
        byte[] garbage = "\u0000\u0000not a row".getBytes(StandardCharsets.UTF_8);
        TopicProbe.send(bootstrap, Topics.ROWS_RAW.name(), "batch-7".getBytes(), garbage);
        TopicProbe.send(bootstrap, Topics.ROWS_RAW.name(), "batch-8".getBytes(), raw.encode(
                new dev.agentmesh.data.RawRow(new java.util.HashMap<>(rows.get(0)))));

        RunEvent trigger = triggerTopicRun(bootstrap, "run-topic", "batch-7");
        String grant = trigger.getEnvelope().getGrantId();
        StageCompleted completed = payloadsUntil(bootstrap, "run-topic", StageCompleted.class).stream()
                .filter(StageCompleted.class::isInstance).map(StageCompleted.class::cast).findFirst().orElseThrow();
        assertEquals(21L, completed.getCounts().get("rows.in"), "the batch's 20 rows and its undecodable record, not batch-8");
        assertEquals(19L, completed.getCounts().get("rows.out"));
        assertEquals(2L, completed.getCounts().get("rows.rejected"));
        assertEquals(1L, completed.getCounts().get("rejected.undecodable"));
        assertEquals(1L, completed.getCounts().get("rejected.age"));

        List<ConsumerRecord<byte[], byte[]>> dead = TopicProbe.readUntil(bootstrap, Topics.DEAD_LETTER.name(), WAIT,
                seen -> seen.stream().filter(r -> "run-topic".equals(TopicProbe.header(r, MeshHeaders.RUN_ID))).count() >= 2);
        ConsumerRecord<byte[], byte[]> undecodable = dead.stream().filter(r -> java.util.Arrays.equals(garbage, r.value()))
                .findFirst().orElseThrow();
        assertEquals(Topics.ROWS_RAW.name(), TopicProbe.header(undecodable, MeshHeaders.DLQ_TOPIC));
        assertTrue(TopicProbe.header(undecodable, MeshHeaders.DLQ_REASON).startsWith("undecodable raw row"));

        // Valid rows are on rows.validated in source order, each under its own id derived from the trigger's.
        MeshCodec<DataRow> validated = new MeshCodec<>(Topics.ROWS_VALIDATED, SerdeSettings.kafkaTopicStore(bootstrap));
        List<DataRow> out = TopicProbe.readUntil(bootstrap, Topics.ROWS_VALIDATED.name(), WAIT,
                        seen -> seen.stream().filter(r -> "run-topic".equals(TopicProbe.key(r))).count() >= 19)
                .stream().filter(r -> "run-topic".equals(TopicProbe.key(r))).map(r -> validated.decode(r.value())).toList();
        assertEquals(List.of(0L, 1L, 2L, 3L, 5L), out.stream().limit(5).map(DataRow::getRowIndex).toList());
        assertEquals(trigger.getEnvelope().getEventId() + "/row-5", out.get(4).getEnvelope().getEventId());
        assertEquals(trigger.getEnvelope().getEventId(), out.get(4).getEnvelope().getCausationId());
        assertEquals(grant, out.get(4).getEnvelope().getGrantId());
        assertEquals(rows.get(5), out.get(4).getValues());

        String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("mesh_dead_letter_records_total{topic=\"mesh.rows.raw\"} 2.0"),
                "the rows this service dead-lettered itself are counted with the rest: " + metrics.lines()
                        .filter(l -> l.startsWith("mesh_dead_letter")).toList());
    }

    @Test
    void aRawRowsBatchWhoseColumnsDoNotMatchTheContractFailsTheStageVisibly() {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        MeshCodec<dev.agentmesh.data.RawRow> raw = new MeshCodec<>(Topics.ROWS_RAW, SerdeSettings.kafkaTopicStore(bootstrap));
        List<Map<String, String>> rows = dev.agentmesh.contract.CsvRows.read(PlantedRows.CREDIT_G).rows();
        for (int i = 0; i < 5; i++) {
            Map<String, String> values = new java.util.HashMap<>(rows.get(i));
            values.put("shoe_size", "42");
            TopicProbe.send(bootstrap, Topics.ROWS_RAW.name(), "batch-shoes".getBytes(), raw.encode(new dev.agentmesh.data.RawRow(values)));
        }
        triggerTopicRun(bootstrap, "run-shoes", "batch-shoes");
        List<Object> payloads = payloadsUntil(bootstrap, "run-shoes", StageFailed.class);
        StageFailed failed = payloads.stream().filter(StageFailed.class::isInstance).map(StageFailed.class::cast)
                .findFirst().orElseThrow();
        assertEquals("source does not match contract credit-g: unexpected column 'shoe_size'", failed.getReason());
        assertTrue(payloads.stream().noneMatch(StageCompleted.class::isInstance));
    }

    /** Triggers a row validation of {@code batch} on the raw-rows topic under a valid grant. */
    static RunEvent triggerTopicRun(String bootstrap, String runId, String batch) {
        String grant = TestGrants.publishNightlyRoot(bootstrap, EmbeddedKafkaResource.principal());
        RunEvent trigger = RunEvents.triggered(new Envelopes("meshctl", "test").origin(runId, grant), "nightly", "test",
                SourceKind.TOPIC, Topics.ROWS_RAW.name() + "?key=" + batch, "credit-g", List.of(RowValidationAgent.STAGE), Map.of());
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), runId.getBytes(), runEvents(bootstrap).encode(trigger));
        return trigger;
    }

    /** The run's event payloads, in log order, once one of type {@code until} is among them. */
    static List<Object> payloadsUntil(String bootstrap, String runId, Class<?> until) {
        MeshCodec<RunEvent> codec = runEvents(bootstrap);
        return TopicProbe.readUntil(bootstrap, Topics.RUN_EVENTS.name(), WAIT,
                        seen -> seen.stream().filter(r -> runId.equals(TopicProbe.key(r)))
                                .map(r -> codec.decode(r.value()).getPayload()).anyMatch(until::isInstance))
                .stream().filter(r -> runId.equals(TopicProbe.key(r))).map(r -> (Object) codec.decode(r.value()).getPayload())
                .toList();
    }

    static MeshCodec<RunEvent> runEvents(String bootstrap) {
        return new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
    }

    /** Hostile input of several kinds: each is refused with its reason, nothing else is lost, the service goes on. */
    @Test
    void hostileRecordsAndSourcesEachFailAloneWithAReasonAndTheServiceGoesOn() throws Exception {
        Path dir = sourceDir();
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        String grant = TestGrants.publishNightlyRoot(bootstrap, EmbeddedKafkaResource.principal());

        // A record too large to copy into a dead letter (under the broker's limit): dead-lettered by reference.
        byte[] huge = new byte[600 * 1024];
        java.util.Arrays.fill(huge, (byte) 'x');
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-huge".getBytes(), huge);

        // A trigger with no key: nothing could ever find its run's events.
        RunEvent unkeyed = RunEvents.triggered(new Envelopes("meshctl", "test").origin("run-unkeyed", grant), "nightly",
                "test", SourceKind.CSV, PlantedRows.CREDIT_G.toString(), "credit-g", List.of(RowValidationAgent.STAGE), Map.of());
        byte[] unkeyedBytes = codec.encode(unkeyed);
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), null, unkeyedBytes);

        // A source outside the allowed directories: refused without reading it.
        Path secrets = Path.of("target", "hostile-" + ProcessHandle.current().pid(), "secret.csv").toAbsolutePath();
        java.nio.file.Files.createDirectories(secrets.getParent());
        java.nio.file.Files.writeString(secrets, "SECRET-KEY-MATERIAL\n");
        trigger(bootstrap, codec, grant, "run-outside", secrets);

        // A symbolic link inside an allowed directory that points outside: refused too.
        Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("innocent.csv"), secrets);
        trigger(bootstrap, codec, grant, "run-link", link);

        // One row that is not UTF-8: that row is rejected, not the stage.
        List<String> lines = java.nio.file.Files.readAllLines(PlantedRows.CREDIT_G);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < lines.size(); i++) {
            byte[] line = lines.get(i).getBytes(StandardCharsets.UTF_8);
            if (i == 6) {
                bytes.write(new byte[]{(byte) 0xC3, (byte) 0x28});
            }
            bytes.write(line);
            bytes.write('\n');
        }
        Path latin = dir.resolve("credit-g-bad-bytes.csv");
        java.nio.file.Files.write(latin, bytes.toByteArray());
        trigger(bootstrap, codec, grant, "run-bad-bytes", latin);

        // A data contract named by a path outside the allowed directories: refused without reading it.
        Path config = java.nio.file.Files.writeString(secrets.resolveSibling("application.yaml"),
                "db:\n  password: SECRET-PASSWORD\nmax_rejected_fraction: SECRET-VALUE\n");
        RunEvent outsideContract = RunEvents.triggered(new Envelopes("meshctl", "test").origin("run-contract-outside", grant),
                "nightly", "test", SourceKind.CSV, PlantedRows.CREDIT_G.toString(), config.toString(),
                List.of(RowValidationAgent.STAGE), Map.of());
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-contract-outside".getBytes(), codec.encode(outsideContract));

        // Headers nobody in the mesh wrote (one with no value, a malformed trace context, an odd name) change nothing.
        RunEvent oddHeaders = RunEvents.triggered(new Envelopes("meshctl", "test").origin("run-odd-headers", grant),
                "nightly", "test", SourceKind.CSV, PlantedRows.CREDIT_G.toString(), "credit-g",
                List.of(RowValidationAgent.STAGE), Map.of());
        RecordHeaders odd = new RecordHeaders();
        odd.add(MeshHeaders.EVENT_ID, null);
        odd.add(MeshHeaders.RUN_ID, null);
        odd.add(MeshHeaders.TRACE_PARENT, "00-not-a-trace-zz".getBytes(StandardCharsets.UTF_8));
        odd.add("x-\u0000odd", new byte[3000]);
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), "run-odd-headers".getBytes(), codec.encode(oddHeaders), odd);


        List<ConsumerRecord<byte[], byte[]>> dead = TopicProbe.readUntil(bootstrap, Topics.DEAD_LETTER.name(), WAIT,
                seen -> seen.stream().anyMatch(r -> "600".equals(sizeKiB(r)))
                        && seen.stream().anyMatch(r -> java.util.Arrays.equals(unkeyedBytes, r.value()))
                        && seen.stream().anyMatch(r -> "run-bad-bytes".equals(TopicProbe.header(r, MeshHeaders.RUN_ID))));
        ConsumerRecord<byte[], byte[]> reference = dead.stream().filter(r -> "600".equals(sizeKiB(r))).findFirst().orElseThrow();
        assertNull(reference.value(), "a record over the copy limit is not copied");
        assertEquals(Topics.RUN_EVENTS.name(), TopicProbe.header(reference, MeshHeaders.DLQ_TOPIC));
        assertNotNull(TopicProbe.header(reference, MeshHeaders.DLQ_OFFSET));
        assertEquals("row-validator", TopicProbe.header(reference, MeshHeaders.DLQ_SERVICE));
        assertTrue(TopicProbe.header(reference, MeshHeaders.DLQ_REASON).contains("dead-lettered by reference"),
                TopicProbe.header(reference, MeshHeaders.DLQ_REASON));
        ConsumerRecord<byte[], byte[]> noKey = dead.stream().filter(r -> java.util.Arrays.equals(unkeyedBytes, r.value()))
                .findFirst().orElseThrow();
        assertTrue(TopicProbe.header(noKey, MeshHeaders.DLQ_REASON).contains("keyed null"),
                TopicProbe.header(noKey, MeshHeaders.DLQ_REASON));
        ConsumerRecord<byte[], byte[]> badRow = dead.stream()
                .filter(r -> "run-bad-bytes".equals(TopicProbe.header(r, MeshHeaders.RUN_ID))).findFirst().orElseThrow();
        assertTrue(TopicProbe.header(badRow, MeshHeaders.ROW_REJECTIONS).contains("not valid UTF-8"),
                TopicProbe.header(badRow, MeshHeaders.ROW_REJECTIONS));

        StageCompleted badBytes = (StageCompleted) finished(bootstrap, codec, "run-bad-bytes");
        assertEquals(999L, badBytes.getCounts().get("rows.out"));
        assertEquals(1L, badBytes.getCounts().get("rows.rejected"));
        for (String run : List.of("run-outside", "run-link")) {
            StageFailed failed = (StageFailed) finished(bootstrap, codec, run);
            assertTrue(failed.getReason().contains("not a file under the allowed source directories"), failed.getReason());
            assertFalse(failed.getReason().contains("SECRET"), failed.getReason());
        }
        StageFailed contractOutside = (StageFailed) finished(bootstrap, codec, "run-contract-outside");
        assertTrue(contractOutside.getReason().contains("data contract file refused"), contractOutside.getReason());
        assertFalse(contractOutside.getReason().contains("SECRET") || contractOutside.getReason().contains("password"),
                contractOutside.getReason());
        StageCompleted despiteHeaders = (StageCompleted) finished(bootstrap, codec, "run-odd-headers");
        assertEquals(badBytes.getCounts().get("rows.out") + 1, despiteHeaders.getCounts().get("rows.out"));
        given().when().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
    }

    /**
     * Rows no record can carry (a cell of 300,000 characters; 100,000 three-byte characters, under the row's character
     * limit but over a record's bytes) and a row of 100 extra cells, in a file with a byte-order mark and Windows line
     * ends: each of those rows is rejected with its reason and no copy of it, the others go on. A quote never closed
     * fails its run, saying so, and the service goes on.
     */
    @Test
    void rowsTooLargeToCarryAreRejectedAloneAndAnUnreadableFileFailsItsRunSayingWhy() throws Exception {
        Path dir = sourceDir();
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        String grant = TestGrants.publishNightlyRoot(bootstrap, EmbeddedKafkaResource.principal());

        List<String> lines = new java.util.ArrayList<>(java.nio.file.Files.readAllLines(PlantedRows.CREDIT_G));
        lines.set(3, lines.get(3).replaceFirst("^[^,]*", "x".repeat(300_000)));
        lines.set(5, lines.get(5).replaceFirst("^[^,]*", "\u20ac".repeat(100_000)));
        lines.set(7, lines.get(7) + ",9".repeat(100));
        Path wide = java.nio.file.Files.writeString(dir.resolve("credit-g-wide.csv"), "\uFEFF" + String.join("\r\n", lines) + "\r\n");
        trigger(bootstrap, codec, grant, "run-wide-rows", wide);
        Path unclosed = java.nio.file.Files.writeString(dir.resolve("credit-g-unclosed.csv"),
                String.join("\n", lines.subList(0, 10)) + "\n\"SECRET-never-closed,1\n" + String.join("\n", lines.subList(10, 20)));
        trigger(bootstrap, codec, grant, "run-unclosed", unclosed);

        StageCompleted completed = (StageCompleted) finished(bootstrap, codec, "run-wide-rows");
        assertEquals(997L, completed.getCounts().get("rows.out"));
        assertEquals(3L, completed.getCounts().get("rows.rejected"));
        List<ConsumerRecord<byte[], byte[]>> dead = TopicProbe.readUntil(bootstrap, Topics.DEAD_LETTER.name(), WAIT,
                seen -> seen.stream().filter(r -> "run-wide-rows".equals(TopicProbe.header(r, MeshHeaders.RUN_ID))).count() >= 3)
                .stream().filter(r -> "run-wide-rows".equals(TopicProbe.header(r, MeshHeaders.RUN_ID))).toList();
        String reasons = dead.stream().map(r -> TopicProbe.header(r, MeshHeaders.ROW_REJECTIONS)).toList().toString();
        assertTrue(reasons.contains("characters, over the limit of 262144 for one row") && reasons.contains("bytes as a record, over the mesh's limit")
                && reasons.contains("(row): 100 more cells than the header has columns"), reasons);
        assertTrue(dead.stream().allMatch(r -> r.serializedValueSize() < MeshCodec.MAX_RECORD_BYTES),
                "no dead letter carries a row too large to read");

        StageFailed failed = (StageFailed) finished(bootstrap, codec, "run-unclosed");
        assertTrue(failed.getReason().contains("ends inside a quoted cell of the row at line 11"), failed.getReason());
        assertFalse(failed.getReason().contains("SECRET"), failed.getReason());
        given().when().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
    }

    /** A fresh directory under the test profile's allowed source directory ({@code target/test-sources}). */
    static Path sourceDir() {
        try {
            return java.nio.file.Files.createDirectories(Path.of("target", "test-sources",
                    java.util.UUID.randomUUID().toString())).toAbsolutePath();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String sizeKiB(ConsumerRecord<byte[], byte[]> r) {
        String size = TopicProbe.header(r, MeshHeaders.DLQ_SIZE);
        return size == null ? null : Long.toString(Long.parseLong(size) / 1024);
    }

    private static void trigger(String bootstrap, MeshCodec<RunEvent> codec, String grant, String runId, Path source) {
        RunEvent trigger = RunEvents.triggered(new Envelopes("meshctl", "test").origin(runId, grant), "nightly", "test",
                SourceKind.CSV, source.toString(), "credit-g", List.of(RowValidationAgent.STAGE), Map.of());
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), runId.getBytes(), codec.encode(trigger));
    }

    /** The row-validation stage's last event for {@code runId}: its completion or its failure. */
    private static Object finished(String bootstrap, MeshCodec<RunEvent> codec, String runId) {
        List<ConsumerRecord<byte[], byte[]>> events = TopicProbe.readUntil(bootstrap, Topics.RUN_EVENTS.name(), WAIT,
                seen -> seen.stream().filter(r -> runId.equals(TopicProbe.key(r)))
                        .map(r -> codec.decode(r.value()).getPayload())
                        .anyMatch(p -> p instanceof StageCompleted || p instanceof StageFailed));
        return events.stream().filter(r -> runId.equals(TopicProbe.key(r)))
                .map(r -> codec.decode(r.value()).getPayload())
                .filter(p -> p instanceof StageCompleted || p instanceof StageFailed).findFirst().orElseThrow();
    }
}
