package dev.agentmesh.meshctl;

import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A large run through stage 1 with every service at {@code -Xmx512m} (as MeshServices starts them): no service may
 * hold the run in memory. The default suite runs {@code mesh.large-run.rows} = 50,000 rows; {@code -Pfaults} runs
 * 1,000,000.
 */
class LargeRunIT {

    static final Path ROOT = MeshServices.repoRoot();
    static final Path WORK = ROOT.resolve("tools/meshctl/target/large-run-it-" + ProcessHandle.current().pid());
    static final Path KEYS = WORK.resolve("keys");
    static final long ROWS = Long.getLong("mesh.large-run.rows", 50_000);

    static EmbeddedKafka kafka;
    static MeshServices services;

    @BeforeAll
    static void startMesh() throws Exception {
        Files.createDirectories(WORK);
        kafka = EmbeddedKafka.start();
        services = new MeshServices(ROOT, WORK);
        Map<String, Map<String, String>> config = new HashMap<>();
        MeshServices.INGEST_SERVICES.forEach(s -> config.put(s, PrincipalTools.serviceConfig(KEYS)));
        services.startAll(MeshServices.INGEST_SERVICES, kafka.bootstrapServers(), config, Duration.ofMinutes(4));
    }

    @AfterAll
    static void stopMesh() {
        if (services != null) {
            services.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void aLargeRunPassesStageOneWithEveryServiceAtHalfAGigabyte() throws Exception {
        String bootstrap = kafka.bootstrapServers();
        GrantIssued operator = PrincipalTools.issueNightlyGrant(bootstrap, KEYS);
        MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        String runId = "large-" + ROWS;
        RunEvent trigger = RunEvents.triggered(new Envelopes("meshctl", "it").origin(runId, operator.getGrantId()),
                "nightly", "it", SourceKind.GENERATOR, "rows=" + ROWS + ",seed=7", "transactions", Stages.INGEST, Map.of());
        long t0 = System.nanoTime();
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), runId.getBytes(StandardCharsets.UTF_8), events.encode(trigger));

        RunStateClient runState = new RunStateClient(services.get("run-state").url());
        Duration within = Duration.ofSeconds(120 + ROWS / 1_000);
        long deadline = System.nanoTime() + within.toNanos();
        Optional<RunState> state = Optional.empty();
        while (System.nanoTime() < deadline) {
            state = runState.poll(runId);
            if (state.map(s -> s.status().terminal()).orElse(false)) {
                break;
            }
            MeshServices.sleep(1_000);
        }
        long seconds = (System.nanoTime() - t0) / 1_000_000_000;
        System.out.printf("large run: %,d rows through stage 1 in %d s%n", ROWS, seconds);

        for (String service : MeshServices.INGEST_SERVICES) {
            String log = Files.readString(services.get(service).log());
            assertFalse(log.contains("OutOfMemoryError"), service + " ran out of memory");
            assertTrue(services.get(service).process().isAlive(), service + " died");
        }
        RunState done = state.orElseThrow(() -> new AssertionError("run-state never saw " + runId));
        assertEquals(RunStatus.COMPLETED, done.status(), "within " + within + ": " + done.stages());
        assertEquals(ROWS, done.stages().get(Stages.FEATURE_EXTRACTION).counts().get(AuditKeys.ROWS_OUT));
        assertEquals(ROWS, done.stages().get(Stages.SCHEMA_CHECK).counts().get("feature.rows.checked"));
        assertEquals(ROWS, done.stages().get(Stages.PUBLISH).counts().get(AuditKeys.ROWS_OUT));
    }

    /**
     * A stage killed while it writes a run's output: the restarted instance writes it again, and a reader sees it
     * once. What the dead instance wrote is in the log, in a transaction its successor aborted.
     */
    @Test
    void aStageKilledMidWriteLeavesItsOutputInTheLogOnce() throws Exception {
        String bootstrap = kafka.bootstrapServers();
        services.supervise(System.out::println);
        GrantIssued operator = PrincipalTools.issueNightlyGrant(bootstrap, KEYS);
        MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        long rows = Math.min(ROWS, 50_000);
        String runId = "killed-mid-write";
        RunEvent trigger = RunEvents.triggered(new Envelopes("meshctl", "it").origin(runId, operator.getGrantId()),
                "nightly", "it", SourceKind.GENERATOR, "rows=" + rows + ",seed=11", "transactions", Stages.INGEST, Map.of());
        long before = written(bootstrap, Topics.FEATURES.name());
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), runId.getBytes(StandardCharsets.UTF_8), events.encode(trigger));

        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (written(bootstrap, Topics.FEATURES.name()) == before) {
            assertTrue(System.nanoTime() < deadline, "feature-extractor never started writing");
            MeshServices.sleep(20);
        }
        services.get("feature-extractor").process().destroyForcibly(); // the supervisor starts it again

        RunStateClient runState = new RunStateClient(services.get("run-state").url());
        Optional<RunState> state = Optional.empty();
        while (System.nanoTime() < deadline && !state.map(s -> s.status().terminal()).orElse(false)) {
            MeshServices.sleep(1_000);
            state = runState.poll(runId);
        }
        RunState done = state.orElseThrow(() -> new AssertionError("run-state never saw " + runId));
        assertEquals(RunStatus.COMPLETED, done.status(), done.stages().toString());
        assertEquals(1, services.restarts().stream().filter(r -> r.name().equals("feature-extractor")).count(),
                "the supervisor restarted feature-extractor once");

        long seen = FaultsIT.Checker.committed(bootstrap, Topics.FEATURES.name()).stream()
                .filter(r -> runId.equals(TopicProbe.key(r))).count();
        long inLog = FaultsIT.Checker.read(bootstrap, Topics.FEATURES.name(), "read_uncommitted").stream()
                .filter(r -> runId.equals(TopicProbe.key(r))).count();
        assertEquals(rows, seen, "a read_committed reader sees every feature row once");
        assertTrue(inLog > rows, "the killed instance's partial output (" + (inLog - rows)
                + " rows) is in the log but was never committed");
        assertEquals(rows, done.stages().get(Stages.FEATURE_EXTRACTION).counts().get(AuditKeys.ROWS_OUT));
    }

    /** How many records {@code topic} holds, committed or not. */
    static long written(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }
}
