package dev.agentmesh.meshctl;

import java.nio.charset.StandardCharsets;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.replay.RunReplay;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunStateJson;
import dev.agentmesh.serde.KafkaTopicSchemaStore;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.sweep.CellTask;
import dev.agentmesh.topics.Topics;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Where a replay reads a run from: the live cluster, or a bundle exported from it. */
final class ReplaySource {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    final String runId;
    final List<LoggedRecord> runEvents;
    final List<LoggedRecord> cellTasks;
    final List<LoggedRecord> deadLetters;
    final Map<Long, String> schemas;
    /** Canonical JSON of the live state, when known (run-state reachable, or recorded in the bundle). */
    final String liveState;
    final MeshCodec<RunEvent> events;
    final MeshCodec<CellTask> tasks;

    private ReplaySource(String runId, List<LoggedRecord> runEvents, List<LoggedRecord> cellTasks,
                         List<LoggedRecord> deadLetters, Map<Long, String> schemas, String liveState,
                         Map<String, Object> serde) {
        this.runId = runId;
        this.runEvents = runEvents;
        this.cellTasks = cellTasks;
        this.deadLetters = deadLetters;
        this.schemas = schemas;
        this.liveState = liveState;
        this.events = new MeshCodec<>(Topics.RUN_EVENTS, serde);
        this.tasks = new MeshCodec<>(Topics.SWEEP_TASKS, serde);
    }

    static ReplaySource bundle(Path file, String runId) {
        ReplayBundle b = ReplayBundle.read(file);
        if (runId != null && !runId.equals(b.runId())) {
            throw new IllegalArgumentException("bundle " + file + " holds run " + b.runId() + ", not " + runId);
        }
        return new ReplaySource(b.runId(), b.runEvents(), b.cellTasks(), b.deadLetters(), b.schemas(), b.liveState(),
                SerdeSettings.inMemoryStore(b.schemas()));
    }

    static ReplaySource live(Connection connection, String runId, boolean withLiveState) {
        String bootstrap = connection.bootstrap();
        Map<String, Object> serde = SerdeSettings.forDeployment(connection.registryUrlOrNull(), bootstrap);
        List<LoggedRecord> runEvents = RunLog.records(bootstrap, runId, TIMEOUT);
        MeshCodec<CellTask> taskCodec = new MeshCodec<>(Topics.SWEEP_TASKS, serde);
        List<LoggedRecord> tasks = RunLog.scan(bootstrap, Topics.SWEEP_TASKS.name(), null, r -> {
            try {
                return runId.equals(taskCodec.decode(r.value()).getEnvelope().getRunId());
            } catch (RuntimeException undecodable) {
                return false;
            }
        }, TIMEOUT);
        List<LoggedRecord> dead = RunLog.scan(bootstrap, Topics.DEAD_LETTER.name(), null,
                r -> runId.equals(r.headers().get(MeshHeaders.RUN_ID)) || runId.equals(r.key()), TIMEOUT);
        Map<Long, String> schemas = new TreeMap<>();
        List<LoggedRecord> all = new ArrayList<>(runEvents);
        all.addAll(tasks);
        all.addAll(dead);
        for (LoggedRecord r : all) {
            long id = r.schemaId();
            if (id >= 0 && !schemas.containsKey(id)) {
                KafkaTopicSchemaStore.forBootstrap(bootstrap).lookup(id).ifPresent(text -> schemas.put(id, text));
            }
        }
        String live = null;
        if (withLiveState) {
            live = new RunStateClient(connection.runStateUrl()).get(runId)
                    .map(s -> new String(RunStateJson.toBytes(s), StandardCharsets.UTF_8)).orElse(null);
        }
        return new ReplaySource(runId, runEvents, tasks, dead, schemas, live, serde);
    }

    ReplayBundle toBundle() {
        return new ReplayBundle(ReplayBundle.FORMAT, runId, Instant.now(), runEvents, cellTasks, deadLetters, schemas,
                liveState, liveState == null ? null : RunReplay.sha256(liveState.getBytes(StandardCharsets.UTF_8)), null);
    }
}
