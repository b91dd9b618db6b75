package dev.agentmesh.service;

import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.serde.MeshCodec;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The runs an orchestrating agent (sweep-orchestrator, coordinator) is responsible for, each folded from its events
 * with run-state's reducer. A run it does not remember (after a restart or a rebalance) is rebuilt from the log before
 * its next event is applied; a run whose plan does not include the agent's stage, or whose stage is over, is settled
 * and its later events are ignored. Not thread-safe: the agent serialises access.
 */
public final class ActiveRuns {

    private static final Logger LOG = Logger.getLogger(ActiveRuns.class);

    private final String bootstrapServers;
    private final MeshCodec<RunEvent> codec;
    private final String stage;
    private final Map<String, RunState> active = new HashMap<>();
    private final Set<String> settled = new HashSet<>();

    public ActiveRuns(String bootstrapServers, MeshCodec<RunEvent> codec, String stage) {
        this.bootstrapServers = bootstrapServers;
        this.codec = codec;
        this.stage = stage;
    }

    /** The run's state with {@code event} applied, or empty when the run is settled or does not plan this stage. */
    public Optional<RunState> fold(RunEvent event) {
        String runId = event.getEnvelope().getRunId();
        if (settled.contains(runId)) {
            if (!reopens(event, stage)) {
                return Optional.empty();
            }
            settled.remove(runId);
            LOG.infof("run %s resumed (%s, attempt %d): active again", runId, event.getPayload().getClass().getSimpleName(),
                    event.getEnvelope().getAttempt());
        }
        RunState state = active.get(runId);
        if (state == null && !(event.getPayload() instanceof RunTriggered)) {
            state = rebuild(runId);
        }
        state = RunStateReducer.apply(state, event);
        if (state.triggered() && !state.plannedStages().contains(stage)) {
            settle(runId);
            return Optional.empty();
        }
        active.put(runId, state);
        return Optional.of(state);
    }

    /**
     * A resumed run comes back: another stage completing again as a later attempt ({@code meshctl runs resume}) may
     * start this agent's stage again, so the run is rebuilt from the log and handled as active.
     */
    static boolean reopens(RunEvent event, String ownStage) {
        return event.getPayload() instanceof StageCompleted c && event.getEnvelope().getAttempt() > 1
                && !c.getStage().equals(ownStage);
    }

    public boolean settled(String runId) {
        return settled.contains(runId);
    }

    public void put(RunState state) {
        active.put(state.runId(), state);
    }

    public void settle(String runId) {
        active.remove(runId);
        settled.add(runId);
    }

    public List<RunState> all() {
        return List.copyOf(active.values());
    }

    private RunState rebuild(String runId) {
        RunState state = null;
        for (RunEvent e : RunLog.read(bootstrapServers, codec, runId, Duration.ofSeconds(30))) {
            state = RunStateReducer.apply(state, e);
        }
        LOG.infof("run %s rebuilt from the log: %d events", runId, state == null ? 0 : state.eventCount());
        return state;
    }

    /** A single-threaded timer for decisions that fall due without new events (timeouts, deadlines). */
    public static ScheduledExecutorService ticker(String name, Duration every, Runnable task) {
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, name));
        ticker.scheduleWithFixedDelay(task, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return ticker;
    }
}
