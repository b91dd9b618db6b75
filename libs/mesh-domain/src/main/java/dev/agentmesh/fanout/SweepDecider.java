package dev.agentmesh.fanout;

import dev.agentmesh.runstate.StageState;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Handoffs;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.SweepState;
import dev.agentmesh.runstate.SweepState.CellState;
import dev.agentmesh.runstate.SweepState.CellStatus;
import dev.agentmesh.sweep.CellConfig;
import dev.agentmesh.sweep.CellDispatched;
import dev.agentmesh.sweep.CellFailed;
import dev.agentmesh.sweep.CellTask;
import dev.agentmesh.sweep.SweepControl;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.sweep.SweepOutcome;
import dev.agentmesh.sweep.SweepPlanned;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The sweep orchestrator's decisions, as a pure function of the run's state (folded from the log by the same reducer
 * run-state uses), the authority it acts under, and the time. Every event it emits has an id derived from the plan
 * and what it decides, so deciding again after a restart repeats the same ids and changes nothing downstream.
 */
public final class SweepDecider {

    /** Run parameters a trigger may set. */
    public static final String PARAM_GRID = "sweep.grid";
    public static final String PARAM_GRANT = "sweep.grant";
    public static final String PARAM_SEED = "sweep.seed";
    public static final String DEFAULT_GRID = "default";

    /** How long past its cell timeout a started cell may stay silent (its trainer reports its own timeout). */
    static final Duration SILENCE_GRACE = Duration.ofSeconds(3);

    /** The grant the orchestrator acts under for a run, as the ledger sees it now. */
    public record Authority(String grantId, int depth, Decision decision, Long budgetComputeMs) {
        boolean revoked() {
            return decision.refusedAs(Decision.Refusal.REVOKED);
        }
    }

    /** What to send: run events (in order), cell tasks, and cancellations. */
    public record Outputs(List<RunEvent> runEvents, List<CellTask> tasks, List<SweepControl> controls) {
        public static Outputs none() {
            return new Outputs(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }

        public boolean isEmpty() {
            return runEvents.isEmpty() && tasks.isEmpty() && controls.isEmpty();
        }
    }

    private final Envelopes envelopes;

    public SweepDecider(String role, String instance, Clock clock) {
        this.envelopes = new Envelopes(role, instance, clock);
    }

    /**
     * A run is ready to plan when its plan includes the sweep, its dataset is announced, and no plan exists yet for
     * the sweep attempt the run asks for: the first, or a later one when the run was resumed (the stage before the
     * sweep completed again as a new attempt, by {@code meshctl runs resume --from sweep} or from an earlier stage).
     */
    public static boolean readyToPlan(RunState s) {
        if (!s.triggered() || !s.plannedStages().contains(Stages.SWEEP) || s.dataset() == null) {
            return false;
        }
        int planned = s.sweep() == null || s.sweep().plannedBy() == null ? 0 : s.sweep().attempt();
        StageState stage = s.stages().get(Stages.SWEEP);
        return requestedAttempt(s) > Math.max(planned, stage == null ? 0 : stage.attempt());
    }

    /** The sweep attempt the run asks for: that of its dataset's announcement or of the stage before, the later. */
    static int requestedAttempt(RunState s) {
        int attempt = Math.max(1, s.dataset() == null ? 0 : s.dataset().attempt());
        List<String> plan = s.plannedStages();
        int index = plan.indexOf(Stages.SWEEP);
        if (index > 0) {
            StageState previous = s.stages().get(plan.get(index - 1));
            if (previous != null && previous.status() == StageState.Status.COMPLETED) {
                attempt = Math.max(attempt, previous.attempt());
            }
        }
        return attempt;
    }

    /** The plan's id: derived from the dataset's announcement (and the sweep attempt, after the first). */
    private String planId(RunState s, int attempt) {
        return derivedId(s.dataset().announcedBy(), attempt == 1 ? "sweep-planned" : "sweep-planned#" + attempt);
    }

    public static String gridName(RunState s) {
        return s.parameters().getOrDefault(PARAM_GRID, DEFAULT_GRID);
    }

    /** Starts the sweep stage and records the plan: every cell, the policy and the ranking rule. */
    public Outputs plan(RunState s, SweepGrid grid, Authority authority, String trainerGrantId) {
        Outputs out = Outputs.none();
        String seed = s.parameters().get(PARAM_SEED);
        List<CellConfig> cells = grid.cells(seed == null ? null : Long.valueOf(seed));
        int attempt = requestedAttempt(s);
        String planId = planId(s, attempt);
        out.runEvents().add(RunEvents.started(envelope(s, planId, "started", authority, attempt, 0), Stages.SWEEP));
        out.runEvents().add(new RunEvent(envelope(s, planId, null, authority, attempt, 0), new SweepPlanned(grid.name(), cells,
                grid.policy().toMap(), Ranking.RULE, authority.budgetComputeMs(), trainerGrantId)));
        return out;
    }

    /** A failure to plan (an unknown grid, a refused grant) fails the stage visibly. */
    public Outputs planFailed(RunState s, Authority authority, String reason) {
        Outputs out = Outputs.none();
        int attempt = requestedAttempt(s);
        out.runEvents().add(RunEvents.failed(envelope(s, planId(s, attempt), "plan-failed", authority, attempt, 0),
                Stages.SWEEP, reason, false));
        return out;
    }

    /** Every step the state calls for now: timeouts, dispatches within concurrency and budget, and the fan-in. */
    public Outputs next(RunState s, Authority authority, Instant now) {
        Outputs out = Outputs.none();
        RunState working = s;
        for (int guard = 0; guard < 100_000; guard++) {
            Outputs step = step(working, authority, now);
            if (step == null) {
                return out;
            }
            out.runEvents().addAll(step.runEvents());
            out.tasks().addAll(step.tasks());
            out.controls().addAll(step.controls());
            for (RunEvent e : step.runEvents()) {
                working = RunStateReducer.apply(working, e);
            }
        }
        throw new IllegalStateException("sweep of run " + s.runId() + " does not settle");
    }

    private Outputs step(RunState s, Authority authority, Instant now) {
        SweepState sweep = s.sweep();
        if (sweep == null || sweep.plannedBy() == null || sweep.finished()) {
            return null;
        }
        FanOutPolicy policy = FanOutPolicy.fromMap(sweep.policy());
        List<CellState> cells = new ArrayList<>(sweep.cells().values());

        if (!authority.decision().allowed()) {
            String why = "grant " + authority.grantId() + " no longer allows the sweep: " + authority.decision().reason();
            return finish(s, authority, authority.revoked() ? SweepOutcome.REVOKED : SweepOutcome.FAILED, why,
                    (authority.revoked() ? "revoked: " : "unauthorised: ") + authority.decision().reason());
        }

        for (CellState cell : cells) {
            if (!cell.status().inFlight()) {
                continue;
            }
            boolean running = cell.status() == CellStatus.RUNNING && cell.startedAt() != null;
            Instant since = running ? cell.startedAt() : cell.dispatchedAt();
            Duration allowed = running ? policy.cellTimeout().plus(SILENCE_GRACE) : policy.queueTimeoutOrDefault();
            if (since != null && now.isAfter(since.plus(allowed))) {
                String reason = running
                        ? "timed out: no result within " + policy.cellTimeout() + " of its start (attempt " + cell.attempt() + ")"
                        : "lost: no trainer started it within " + policy.queueTimeoutOrDefault() + " (attempt " + cell.attempt() + ")";
                Outputs out = Outputs.none();
                out.runEvents().add(new RunEvent(envelope(s, sweep.plannedBy(), "timeout|" + cell.cellId() + "|" + cell.attempt(),
                        authority, cell.attempt(), 0), new CellFailed(cell.cellId(), reason, true,
                        cell.attempt() < sweep.priorAttempts(cell.cellId()) + policy.maxAttempts(), null)));
                out.controls().add(control(s, authority, Map.of(cell.cellId(), cell.attempt()), false, reason));
                return out;
            }
        }

        if (policy.mode() == FanOutPolicy.Mode.RACE) {
            Optional<CellState> first = Ranking.rank(cells).stream()
                    .filter(c -> c.validationLoss() <= policy.targetValidationLoss()).findFirst();
            if (first.isPresent()) {
                return finish(s, authority, SweepOutcome.SUCCEEDED, "race won by " + first.get().cellId()
                        + ": validation loss " + first.get().validationLoss() + " <= target " + policy.targetValidationLoss()
                        + "; the remaining cells are cancelled", null);
            }
        }

        long inFlight = cells.stream().filter(c -> c.status().inFlight()).count();
        Optional<CellState> candidate = cells.stream().filter(c -> dispatchable(c, policy, sweep)).findFirst();
        String stopped = null;
        if (candidate.isPresent()) {
            long estimate = Math.max(policy.cellCostEstimateMs(), cells.stream()
                    .filter(c -> c.trainMs() != null).mapToLong(CellState::trainMs).max().orElse(0));
            Long budget = authority.budgetComputeMs();
            if (budget != null && sweep.spentComputeMs() + (inFlight + 1) * estimate > budget) {
                stopped = "budget: dispatch stopped with " + sweep.spentComputeMs() + " of " + budget
                        + " compute ms spent, " + inFlight + " cells in flight and about " + estimate
                        + " ms needed per cell";
            } else if (inFlight < policy.maxConcurrency()) {
                return dispatch(s, authority, candidate.get(), policy);
            } else {
                return null;
            }
        }
        if (inFlight > 0) {
            return null;
        }
        return finish(s, authority, null, stopped, null);
    }

    private static boolean dispatchable(CellState c, FanOutPolicy policy, SweepState sweep) {
        return c.status() == CellStatus.PENDING
                || ((c.status() == CellStatus.FAILED || c.status() == CellStatus.TIMED_OUT)
                && c.retryable() && c.attempt() < sweep.priorAttempts(c.cellId()) + policy.maxAttempts());
    }

    private Outputs dispatch(RunState s, Authority authority, CellState cell, FanOutPolicy policy) {
        int attempt = cell.attempt() + 1;
        SweepState sweep = s.sweep();
        String taskId = derivedId(sweep.plannedBy(), "task|" + cell.cellId() + "|" + attempt);
        Outputs out = Outputs.none();
        out.runEvents().add(new RunEvent(envelope(s, sweep.plannedBy(), "dispatch|" + cell.cellId() + "|" + attempt,
                authority, attempt, 0), new CellDispatched(cell.cellId(), taskId)));
        Envelope taskEnvelope = envelope(s, sweep.plannedBy(), null, authority, attempt, 0);
        taskEnvelope.setEventId(taskId);
        taskEnvelope.setGrantId(sweep.trainerGrantId() != null ? sweep.trainerGrantId() : authority.grantId());
        taskEnvelope.setDelegationDepth(authority.depth() + (sweep.trainerGrantId() != null ? 1 : 0));
        RunState.Dataset dataset = s.dataset();
        out.tasks().add(new CellTask(taskEnvelope, configOf(cell), dataset.splits().get("train"),
                dataset.splits().get("validation"), dataset.checksum(), dataset.featureNames(), policy.cellTimeout().toMillis()));
        return out;
    }

    private static CellConfig configOf(CellState cell) {
        SweepState.Config c = cell.config();
        return new CellConfig(cell.cellId(), c.architecture(), c.kind(), c.factors(), c.learningRate(), c.batchSize(),
                c.epochs(), c.seed(), c.steps(), c.resourceClass());
    }

    private Outputs finish(RunState s, Authority authority, SweepOutcome forced, String stopped, String failure) {
        SweepState sweep = s.sweep();
        FanOutPolicy policy = FanOutPolicy.fromMap(sweep.policy());
        List<CellState> ranked = Ranking.rank(sweep.cells().values());
        int planned = sweep.cells().size();
        int succeeded = ranked.size();
        Map<String, String> failures = new TreeMap<>();
        int notRun = 0;
        for (CellState c : sweep.cells().values()) {
            if (c.status() == CellStatus.SUCCEEDED) {
                continue;
            }
            if (c.status() == CellStatus.PENDING) {
                notRun++;
                failures.put(c.cellId(), "not run: " + (stopped != null ? stopped : failure != null ? failure : "sweep ended"));
            } else {
                failures.put(c.cellId(), c.status().inFlight()
                        ? "cancelled in flight: " + (stopped != null ? stopped : failure)
                        : c.status() + " (attempt " + c.attempt() + "): " + c.reason());
            }
        }
        int failed = planned - succeeded - notRun;
        SweepOutcome outcome;
        String reason;
        if (forced != null) {
            outcome = forced;
            reason = failure != null ? failure : stopped;
        } else if (succeeded == planned) {
            outcome = SweepOutcome.SUCCEEDED;
            reason = "all " + planned + " cells succeeded";
        } else if (succeeded > 0 && succeeded >= policy.minSuccesses() && policy.onPartial() == FanOutPolicy.OnPartial.RANK_AVAILABLE) {
            outcome = SweepOutcome.PARTIAL;
            reason = succeeded + " of " + planned + " cells succeeded (min_successes " + policy.minSuccesses()
                    + ", on_partial rank_available); the failed cells' reasons are kept";
        } else {
            outcome = SweepOutcome.FAILED;
            reason = succeeded + " of " + planned + " cells succeeded; "
                    + (policy.onPartial() == FanOutPolicy.OnPartial.FAIL && succeeded >= policy.minSuccesses()
                    ? "on_partial is fail" : "min_successes is " + policy.minSuccesses());
        }
        boolean hasWinner = !ranked.isEmpty() && (outcome == SweepOutcome.SUCCEEDED || outcome == SweepOutcome.PARTIAL);
        CellState winner = hasWinner ? ranked.get(0) : null;
        SweepFinished finished = new SweepFinished(outcome, winner == null ? null : winner.cellId(),
                winner == null ? null : winner.checkpoint(), winner == null ? null : winner.checkpointChecksum(),
                winner == null ? null : winner.validationLoss(), Ranking.RULE,
                ranked.stream().map(CellState::cellId).toList(), succeeded, failed, notRun, failures, stopped, reason);

        Outputs out = Outputs.none();
        String planId = sweep.plannedBy();
        out.runEvents().add(new RunEvent(envelope(s, planId, "finished", authority, sweep.attempt(), 0), finished));
        Envelope stageEnvelope = envelope(s, planId, "stage-finished", authority, sweep.attempt(), 0);
        if (hasWinner) {
            Map<String, Long> counts = new LinkedHashMap<>();
            counts.put("cells.planned", (long) planned);
            counts.put("cells.succeeded", (long) succeeded);
            counts.put("cells.failed", (long) failed);
            counts.put("cells.not-run", (long) notRun);
            Map<String, String> audit = new LinkedHashMap<>();
            audit.put(AuditKeys.SWEEP_OUTCOME, outcome.name());
            audit.put(AuditKeys.RANKING_RULE, Ranking.RULE);
            audit.put(AuditKeys.WINNER, winner.cellId());
            audit.put(AuditKeys.WINNER_CHECKPOINT, winner.checkpoint());
            audit.put(AuditKeys.WINNER_CHECKSUM, winner.checkpointChecksum());
            audit.put(AuditKeys.WINNER_VALIDATION_LOSS, Double.toString(winner.validationLoss()));
            out.runEvents().add(RunEvents.completed(stageEnvelope, Stages.SWEEP, counts, audit,
                    Handoffs.of(s.plannedStages(), s.contract(), s.triggeredAt(), 0)));
        } else {
            out.runEvents().add(RunEvents.failed(stageEnvelope, Stages.SWEEP,
                    outcome == SweepOutcome.REVOKED || failure != null ? failure : outcome + ": " + reason, false));
        }
        if (sweep.inFlight() > 0) {
            // Each in-flight cell's attempt by name, not "all cells of the run": a resumed sweep's tasks run on.
            Map<String, Integer> inFlight = new TreeMap<>();
            sweep.cells().values().stream().filter(c -> c.status().inFlight()).forEach(c -> inFlight.put(c.cellId(), c.attempt()));
            out.controls().add(control(s, authority, inFlight, false, "sweep finished " + outcome + ": " + reason));
        }
        return out;
    }

    private SweepControl control(RunState s, Authority authority, Map<String, Integer> cells, boolean all, String reason) {
        Envelope envelope = envelope(s, s.sweep().plannedBy(), "cancel|" + all + "|" + new TreeMap<>(cells), authority, 1, 0);
        return new SweepControl(envelope, all, Map.copyOf(cells), reason);
    }

    private Envelope envelope(RunState s, String planId, String discriminator, Authority authority, int attempt, long computeMs) {
        return envelopes.envelope(discriminator == null ? planId : derivedId(planId, discriminator), s.runId(),
                discriminator == null ? s.dataset().announcedBy() : planId, authority.grantId(), authority.depth(),
                attempt, computeMs, null);
    }

    /** Ids derived from the plan and the decision (the same scheme as every agent's derived ids). */
    private String derivedId(String base, String discriminator) {
        return envelopes.derivedId(base, discriminator);
    }
}
