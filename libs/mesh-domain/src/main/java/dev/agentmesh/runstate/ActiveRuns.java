package dev.agentmesh.runstate;

import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The runs a process manager (sweep-orchestrator, coordinator) is responsible for, each folded from its events with
 * run-state's reducer. A run whose plan does not include the manager's stage, or whose stage is over, is settled:
 * its later events are still folded (so its state stays whole) but not acted on, until a resume reopens it. Where
 * the runs are kept is the {@link Store}'s business: changelogged Kafka Streams stores in the services (a restarted
 * instance restores its runs instead of re-reading the log), maps in tests. Not thread-safe: the manager serialises
 * access.
 */
public final class ActiveRuns {

    /** Where a process manager keeps its runs, active and settled. */
    public interface Store {
        /** The run's state, active or settled, or null. */
        RunState get(String runId);

        /** Stores the run's state where the run is now (active, unless it is settled). */
        void put(RunState state);

        boolean settled(String runId);

        /** Moves the run to the settled ones, with its final state. */
        void settle(RunState state);

        /** Moves a settled run back to the active ones. */
        void reopen(String runId);

        /** Every active run, one at a time. */
        void forEachActive(Consumer<RunState> each);
    }

    private final Store store;
    private final String stage;

    public ActiveRuns(Store store, String stage) {
        this.store = store;
        this.stage = stage;
    }

    /** The run's state with {@code event} applied, or empty when the run is settled or does not plan this stage. */
    public Optional<RunState> fold(RunEvent event) {
        String runId = event.getEnvelope().getRunId();
        RunState state = RunStateReducer.apply(store.get(runId), event);
        if (store.settled(runId)) {
            if (!reopens(event, stage)) {
                store.put(state);
                return Optional.empty();
            }
            store.reopen(runId);
        }
        if (state.triggered() && !state.plannedStages().contains(stage)) {
            store.settle(state);
            return Optional.empty();
        }
        store.put(state);
        return Optional.of(state);
    }

    /**
     * A resumed run comes back: another stage completing again as a later attempt ({@code meshctl runs resume}) may
     * start this agent's stage again.
     */
    static boolean reopens(RunEvent event, String ownStage) {
        return event.getPayload() instanceof StageCompleted c && event.getEnvelope().getAttempt() > 1
                && !c.getStage().equals(ownStage);
    }

    public boolean settled(String runId) {
        return store.settled(runId);
    }

    public void put(RunState state) {
        store.put(state);
    }

    /** The run's stage is over: it keeps {@code state} and is not acted on until a resume reopens it. */
    public void settle(RunState state) {
        store.settle(state);
    }

    public List<RunState> all() {
        List<RunState> all = new ArrayList<>();
        store.forEachActive(all::add);
        return all;
    }

    /** A store in memory: for tests and tools. */
    public static Store inMemory() {
        return new Store() {
            private final Map<String, RunState> active = new HashMap<>();
            private final Map<String, RunState> settled = new HashMap<>();

            @Override
            public RunState get(String runId) {
                RunState state = active.get(runId);
                return state != null ? state : settled.get(runId);
            }

            @Override
            public void put(RunState state) {
                (settled.containsKey(state.runId()) ? settled : active).put(state.runId(), state);
            }

            @Override
            public boolean settled(String runId) {
                return settled.containsKey(runId);
            }

            @Override
            public void settle(RunState state) {
                active.remove(state.runId());
                settled.put(state.runId(), state);
            }

            @Override
            public void reopen(String runId) {
                RunState state = settled.remove(runId);
                if (state != null) {
                    active.put(runId, state);
                }
            }

            @Override
            public void forEachActive(Consumer<RunState> each) {
                List.copyOf(active.values()).forEach(each);
            }
        };
    }
}
