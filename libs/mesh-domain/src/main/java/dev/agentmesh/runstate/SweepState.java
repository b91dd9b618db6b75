package dev.agentmesh.runstate;

import java.util.Collections;
import java.time.Instant;
import java.util.List;
import java.util.SortedMap;

/**
 * The fan-out of a run: the planned cells with the policy and ranking rule, every cell's latest attempt, and the
 * fan-in's outcome. Cells are keyed by id, so a cell reported twice (a retry, a redelivery) is counted once.
 *
 * <p>A resumed sweep is a new sweep attempt ({@code attempt}, the stage attempt of its plan): its plan replaces the
 * previous one, cells that succeeded before on the same dataset ({@code plannedFrom}, the dataset announcement the
 * plan was made from) keep their results and checkpoints, the others are pending again, with their attempt numbers
 * continuing ({@code priorAttempts}: a cell's retry limit counts from there). Events of an earlier plan that arrive
 * late are recognised through {@code taskPlans} (task id to plan id) and change nothing.
 */
public record SweepState(
        String grid,
        String rankingRule,
        SortedMap<String, String> policy,
        Long budgetComputeMs,
        String trainerGrantId,
        String plannedBy,
        SortedMap<String, CellState> cells,
        long spentComputeMs,
        Outcome outcome,
        int attempt,
        String plannedFrom,
        SortedMap<String, String> taskPlans,
        SortedMap<String, Integer> priorAttempts) {

    public SweepState {
        taskPlans = taskPlans == null ? Collections.emptySortedMap() : taskPlans;
        priorAttempts = priorAttempts == null ? Collections.emptySortedMap() : priorAttempts;
    }

    /** Attempts a cell had in earlier sweep attempts (its retry limit in this one counts from there). */
    public int priorAttempts(String cellId) {
        return priorAttempts.getOrDefault(cellId, 0);
    }

    public enum CellStatus {
        PENDING, DISPATCHED, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, CANCELLED;

        public boolean inFlight() {
            return this == DISPATCHED || this == RUNNING;
        }

        public boolean terminal() {
            return this == SUCCEEDED || this == FAILED || this == TIMED_OUT || this == CANCELLED;
        }
    }

    /** One cell: its configuration, and the attempt that decides its status (see the reducer's rule). */
    public record CellState(
            String cellId,
            Config config,
            CellStatus status,
            int attempt,
            Instant dispatchedAt,
            Instant startedAt,
            Instant finishedAt,
            Double validationLoss,
            Double validationAccuracy,
            Double inferenceLatencyMicros,
            Long trainMs,
            String checkpoint,
            String checkpointChecksum,
            String reason,
            boolean retryable,
            String agentInstance,
            int completions,
            String decidingEventId) {
    }

    /** The hyper-parameters a cell is trained with, and its pipeline's steps, as planned. */
    public record Config(String architecture, String kind, int factors, double learningRate, int batchSize, int epochs,
                         long seed, List<String> steps) {
        public Config {
            steps = steps == null ? List.of() : List.copyOf(steps);
        }
    }

    /** The fan-in, as the orchestrator announced it. */
    public record Outcome(
            String outcome,
            String winnerCellId,
            String winnerCheckpoint,
            String winnerChecksum,
            Double winnerValidationLoss,
            List<String> ranking,
            int cellsSucceeded,
            int cellsFailed,
            int cellsNotRun,
            SortedMap<String, String> failures,
            String dispatchStopped,
            String reason,
            Instant finishedAt,
            String announcedBy) {
    }

    public long count(CellStatus status) {
        return cells.values().stream().filter(c -> c.status() == status).count();
    }

    public long inFlight() {
        return cells.values().stream().filter(c -> c.status().inFlight()).count();
    }

    public boolean finished() {
        return outcome != null;
    }
}
