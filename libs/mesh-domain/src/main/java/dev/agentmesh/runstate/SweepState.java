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

    /**
     * One cell: its configuration, and the attempt that decides its status (see the reducer's rule). {@code steps}
     * are that attempt's pipeline steps with what each measured (a success's), {@code failedStep} the step a failure
     * names.
     */
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
            String decidingEventId,
            List<StepResult> steps,
            String failedStep) {

        public CellState {
            steps = steps == null ? List.of() : List.copyOf(steps);
        }

        public static Builder builder(String cellId, CellStatus status, int attempt, String decidingEventId) {
            return new Builder(cellId, status, attempt, decidingEventId);
        }

        public Builder toBuilder() {
            Builder b = new Builder(cellId, status, attempt, decidingEventId);
            b.config = config;
            b.dispatchedAt = dispatchedAt;
            b.startedAt = startedAt;
            b.finishedAt = finishedAt;
            b.validationLoss = validationLoss;
            b.validationAccuracy = validationAccuracy;
            b.inferenceLatencyMicros = inferenceLatencyMicros;
            b.trainMs = trainMs;
            b.checkpoint = checkpoint;
            b.checkpointChecksum = checkpointChecksum;
            b.reason = reason;
            b.retryable = retryable;
            b.agentInstance = agentInstance;
            b.completions = completions;
            b.steps = steps;
            b.failedStep = failedStep;
            return b;
        }

        /** Builds a {@link CellState}: the id, status, attempt and deciding event always, the rest as known. */
        public static final class Builder {
            private final String cellId;
            private final CellStatus status;
            private final int attempt;
            private final String decidingEventId;
            private Config config;
            private Instant dispatchedAt;
            private Instant startedAt;
            private Instant finishedAt;
            private Double validationLoss;
            private Double validationAccuracy;
            private Double inferenceLatencyMicros;
            private Long trainMs;
            private String checkpoint;
            private String checkpointChecksum;
            private String reason;
            private boolean retryable;
            private String agentInstance;
            private int completions;
            private List<StepResult> steps;
            private String failedStep;

            private Builder(String cellId, CellStatus status, int attempt, String decidingEventId) {
                this.cellId = cellId;
                this.status = status;
                this.attempt = attempt;
                this.decidingEventId = decidingEventId;
            }

            public Builder config(Config value) {
                config = value;
                return this;
            }

            public Builder dispatchedAt(Instant value) {
                dispatchedAt = value;
                return this;
            }

            public Builder startedAt(Instant value) {
                startedAt = value;
                return this;
            }

            public Builder finishedAt(Instant value) {
                finishedAt = value;
                return this;
            }

            /** What the cell's model measured on validation, and how long it trained. */
            public Builder measured(Double loss, Double accuracy, Double latencyMicros, Long trainMillis) {
                validationLoss = loss;
                validationAccuracy = accuracy;
                inferenceLatencyMicros = latencyMicros;
                trainMs = trainMillis;
                return this;
            }

            public Builder checkpoint(String location, String checksum) {
                checkpoint = location;
                checkpointChecksum = checksum;
                return this;
            }

            public Builder failure(String why, boolean canRetry, String step) {
                reason = why;
                retryable = canRetry;
                failedStep = step;
                return this;
            }

            public Builder agentInstance(String value) {
                agentInstance = value;
                return this;
            }

            public Builder completions(int value) {
                completions = value;
                return this;
            }

            public Builder steps(List<StepResult> value) {
                steps = value;
                return this;
            }

            public CellState build() {
                return new CellState(cellId, config, status, attempt, dispatchedAt, startedAt, finishedAt, validationLoss,
                        validationAccuracy, inferenceLatencyMicros, trainMs, checkpoint, checkpointChecksum, reason,
                        retryable, agentInstance, completions, decidingEventId, steps, failedStep);
            }
        }
    }

    /** One step of a cell's pipeline and what it measured. */
    public record StepResult(String step, SortedMap<String, Double> metrics, long durationMs) {
    }

    /** The hyper-parameters a cell is trained with, and its pipeline's steps, as planned. */
    /** A cell's hyper-parameters, its pipeline, and the trainer pool it must run on (null: the default pool). */
    public record Config(String architecture, String kind, int factors, double learningRate, int batchSize, int epochs,
                         long seed, List<String> steps, String resourceClass) {
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
