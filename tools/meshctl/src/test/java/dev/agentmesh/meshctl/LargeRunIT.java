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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
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
            state = runState.get(runId);
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
}
