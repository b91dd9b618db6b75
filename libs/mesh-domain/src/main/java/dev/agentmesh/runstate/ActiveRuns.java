package dev.agentmesh.runstate;

import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The runs a process manager (sweep-orchestrator, coordinator) is responsible for, each folded from its events with
 * run-state's reducer. A run whose plan does not include the manager's stage, or whose stage is over, is settled:
 * its later events are still folded (so its state stays whole) but not acted on, until a resume reopens it. Where
 * the runs are kept is the {@link Table}s' business: changelogged Kafka Streams stores in the services (a restarted
 * instance restores its runs instead of re-reading the log), maps in tests. Not thread-safe: the manager serialises
 * access.
 */
public final class ActiveRuns {

    /** A table of runs by run id: where a process manager keeps its active runs, and its settled ones. */
    public interface Table {
        RunState get(String runId);

        void put(RunState state);

        /** Removes the run and returns what it held, or null. */
        RunState remove(String runId);

        /** Every run in the table, one at a time. */
        void forEach(Consumer<RunState> each);
    }

    private final Table active;
    private final Table settled;
    private final String stage;
    private final Predicate<RunEvent> reopens;

    public ActiveRuns(Table active, Table settled, String stage) {
        this(active, settled, stage, event -> reopens(event, stage));
    }

    /**
     * A manager of {@code stage} (null: of every run, whatever its plan) whose settled runs come back when
     * {@code reopens} accepts one of their events.
     */
    public ActiveRuns(Table active, Table settled, String stage, Predicate<RunEvent> reopens) {
        this.active = active;
        this.settled = settled;
        this.stage = stage;
        this.reopens = reopens;
    }

    /** The run's state with {@code event} applied, or empty when the run is settled or does not plan this stage. */
    public Optional<RunState> fold(RunEvent event) {
        String runId = event.getEnvelope().getRunId();
        RunState prior = active.get(runId);
        boolean wasSettled = prior == null && (prior = settled.get(runId)) != null;
        RunState state = RunStateReducer.apply(prior, event);
        if (wasSettled) {
            if (!reopens.test(event)) {
                settled.put(state);
                return Optional.empty();
            }
            settled.remove(runId);
        }
        if (stage != null && state.triggered() && !state.plannedStages().contains(stage)) {
            settle(state);
            return Optional.empty();
        }
        active.put(state);
        return Optional.of(state);
    }

    /**
     * A resumed run comes back: another stage completing again as a later attempt ({@code meshctl runs resume}) may
     * start this agent's stage again.
     */
    public static boolean reopens(RunEvent event, String ownStage) {
        return event.getPayload() instanceof StageCompleted c && event.getEnvelope().getAttempt() > 1
                && !c.getStage().equals(ownStage);
    }

    public boolean settled(String runId) {
        return active.get(runId) == null && settled.get(runId) != null;
    }

    /** Keeps an active run's state after what the manager sent for it. */
    public void put(RunState state) {
        active.put(state);
    }

    /** The run's stage is over: it keeps {@code state} and is not acted on until a resume reopens it. */
    public void settle(RunState state) {
        active.remove(state.runId());
        settled.put(state);
    }

    public List<RunState> all() {
        List<RunState> all = new ArrayList<>();
        active.forEach(all::add);
        return all;
    }

    /** A table in memory: for tests and tools. */
    public static Table inMemory() {
        Map<String, RunState> runs = new HashMap<>();
        return new Table() {
            @Override
            public RunState get(String runId) {
                return runs.get(runId);
            }

            @Override
            public void put(RunState state) {
                runs.put(state.runId(), state);
            }

            @Override
            public RunState remove(String runId) {
                return runs.remove(runId);
            }

            @Override
            public void forEach(Consumer<RunState> each) {
                List.copyOf(runs.values()).forEach(each);
            }
        };
    }
}
