package dev.agentmesh.runstate;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.runstate.SweepState.CellState;
import dev.agentmesh.runstate.SweepState.CellStatus;
import dev.agentmesh.sweep.CellCancelled;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellConfig;
import dev.agentmesh.sweep.CellDispatched;
import dev.agentmesh.sweep.CellFailed;
import dev.agentmesh.sweep.CellStarted;
import dev.agentmesh.sweep.CellStepResult;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.sweep.SweepPlanned;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Folds sweep events into {@link SweepState}. Like the run fold it is order-independent: a success in any attempt
 * decides a cell (the lowest attempt's success, then the lowest event id); otherwise the highest attempt decides,
 * and within it a terminal outcome beats "running", which beats "dispatched".
 */
final class SweepReducer {

    private SweepReducer() {
    }

    static boolean handles(Object payload) {
        return payload instanceof SweepPlanned || payload instanceof CellDispatched || payload instanceof CellStarted
                || payload instanceof CellCompleted || payload instanceof CellFailed || payload instanceof CellCancelled
                || payload instanceof SweepFinished;
    }

    static SweepState apply(SweepState sweep, Envelope envelope, Object payload) {
        if (sweep == null) {
            sweep = new SweepState(null, null, sorted(Map.of()), null, null, null, sorted(Map.of()), 0, null, 0, null,
                    sorted(Map.of()), sorted(Map.of()));
        }
        SortedMap<String, CellState> cells = sweep.cells();
        String grid = sweep.grid();
        String rule = sweep.rankingRule();
        var policy = sweep.policy();
        Long budget = sweep.budgetComputeMs();
        String trainerGrant = sweep.trainerGrantId();
        String plannedBy = sweep.plannedBy();
        SweepState.Outcome outcome = sweep.outcome();
        long spent = sweep.spentComputeMs();
        int sweepAttempt = sweep.attempt();
        String plannedFrom = sweep.plannedFrom();
        var taskPlans = sweep.taskPlans();
        var priorAttempts = sweep.priorAttempts();
        Instant at = envelope.getOccurredAt();
        String id = envelope.getEventId();
        int attempt = envelope.getAttempt();

        if (payload instanceof SweepPlanned p) {
            boolean newAttempt = plannedBy == null || attempt > sweepAttempt;
            if (!newAttempt && attempt < sweepAttempt) {
                return sweep; // an earlier sweep attempt's plan, logged late
            }
            TreeMap<String, CellState> planning = new TreeMap<>(cells);
            if (newAttempt && plannedBy != null) {
                boolean sameDataset = Objects.equals(plannedFrom, envelope.getCausationId());
                TreeMap<String, Integer> prior = new TreeMap<>(priorAttempts);
                TreeMap<String, CellState> carried = new TreeMap<>();
                for (CellState c : planning.values()) {
                    prior.put(c.cellId(), Math.max(prior.getOrDefault(c.cellId(), 0), c.attempt()));
                    if (sameDataset && c.status() == CellStatus.SUCCEEDED) {
                        carried.put(c.cellId(), c);
                    }
                }
                planning = carried;
                priorAttempts = Collections.unmodifiableSortedMap(prior);
                outcome = null;
            }
            if (newAttempt || id.compareTo(plannedBy) < 0) {
                grid = p.getGrid();
                rule = p.getRankingRule();
                policy = sorted(p.getPolicy());
                budget = p.getBudgetComputeMs();
                trainerGrant = p.getTrainerGrantId();
                plannedBy = id;
                plannedFrom = envelope.getCausationId();
                sweepAttempt = attempt;
            }
            TreeMap<String, String> plans = new TreeMap<>(taskPlans);
            plans.put(id, id);
            taskPlans = Collections.unmodifiableSortedMap(plans);
            for (CellConfig c : p.getCells()) {
                CellState known = planning.get(c.getCellId());
                int before = priorAttempts.getOrDefault(c.getCellId(), 0);
                CellState pending = CellState.builder(c.getCellId(), CellStatus.PENDING, before, id).config(config(c)).build();
                // a result carried over from an earlier sweep attempt stands only for the configuration it was trained with
                boolean reconfigured = known != null && known.config() != null && !known.config().equals(config(c))
                        && attempt > 1 && known.status() == CellStatus.SUCCEEDED && id.equals(plannedBy);
                planning.put(c.getCellId(), known == null || reconfigured ? pending : withConfig(known, c));
            }
            if (newAttempt && sweepAttempt > 1) {
                Set<String> planned = new HashSet<>();
                p.getCells().forEach(c -> planned.add(c.getCellId()));
                planning.keySet().retainAll(planned);
            }
            cells = planning;
        } else if (payload instanceof SweepFinished f) {
            if (stale(envelope.getCausationId(), plannedBy, taskPlans)) {
                return sweep;
            }
            if (outcome == null || id.compareTo(outcome.announcedBy()) < 0) {
                outcome = new SweepState.Outcome(f.getOutcome().name(), f.getWinnerCellId(), f.getWinnerCheckpoint(),
                        f.getWinnerChecksum(), f.getWinnerValidationLoss(), List.copyOf(f.getRanking()),
                        f.getCellsSucceeded(), f.getCellsFailed(), f.getCellsNotRun(), sorted(f.getFailures()),
                        f.getDispatchStopped(), f.getReason(), at, id);
            }
        } else {
            spent += envelope.getCost().getComputeMs();
            if (payload instanceof CellDispatched d && envelope.getCausationId() != null) {
                taskPlans = SortedArrayMap.of(taskPlans).with(d.getTaskEventId(), envelope.getCausationId());
            }
            if (!stale(envelope.getCausationId(), plannedBy, taskPlans)) {
                CellState seen = observation(payload, envelope, attempt, at, id);
                cells = SortedArrayMap.of(cells).with(seen.cellId(), merge(cells.get(seen.cellId()), seen));
            }
        }
        return new SweepState(grid, rule, policy, budget, trainerGrant, plannedBy,
                SortedArrayMap.of(cells), spent, outcome, sweepAttempt, plannedFrom, taskPlans, priorAttempts);
    }

    /**
     * Whether an event belongs to a plan other than the current one: its cause is another plan (plans map to
     * themselves in {@code taskPlans}) or a task of one. An event whose cause is unknown counts for the current plan.
     */
    private static boolean stale(String causationId, String plannedBy, SortedMap<String, String> taskPlans) {
        String plan = causationId == null ? null : taskPlans.get(causationId);
        return plan != null && plannedBy != null && !plan.equals(plannedBy);
    }

    private static CellState observation(Object payload, Envelope envelope, int attempt, Instant at, String id) {
        String instance = envelope.getAgentInstance();
        if (payload instanceof CellDispatched d) {
            return CellState.builder(d.getCellId(), CellStatus.DISPATCHED, attempt, id).dispatchedAt(at)
                    .agentInstance(instance).build();
        }
        if (payload instanceof CellStarted s) {
            return CellState.builder(s.getCellId(), CellStatus.RUNNING, attempt, id).startedAt(at)
                    .agentInstance(instance).build();
        }
        if (payload instanceof CellCompleted c) {
            return CellState.builder(c.getCellId(), CellStatus.SUCCEEDED, attempt, id).config(config(c.getConfig()))
                    .finishedAt(at)
                    .measured(c.getValidationLoss(), c.getValidationAccuracy(), c.getInferenceLatencyMicros(), c.getTrainMs())
                    .checkpoint(c.getCheckpoint(), c.getCheckpointChecksum())
                    .agentInstance(instance).completions(1).steps(steps(c.getSteps())).build();
        }
        if (payload instanceof CellFailed f) {
            return CellState.builder(f.getCellId(), f.getTimedOut() ? CellStatus.TIMED_OUT : CellStatus.FAILED, attempt, id)
                    .finishedAt(at).failure(f.getReason(), f.getRetryable(), f.getStep()).agentInstance(instance).build();
        }
        CellCancelled c = (CellCancelled) payload;
        return CellState.builder(c.getCellId(), CellStatus.CANCELLED, attempt, id).finishedAt(at)
                .failure(c.getReason(), false, null).agentInstance(instance).build();
    }

    private static List<SweepState.StepResult> steps(List<CellStepResult> steps) {
        if (steps.isEmpty()) {
            return List.of();
        }
        List<SweepState.StepResult> out = new ArrayList<>(steps.size());
        for (CellStepResult s : steps) {
            out.add(new SweepState.StepResult(s.getStep(), sorted(s.getMetrics()), s.getDurationMs()));
        }
        return out;
    }

    /** Negative if {@code a} decides its cell before {@code b} (see the class comment). */
    private static int decidesFirst(CellState a, CellState b) {
        boolean aSucceeded = a.status() == CellStatus.SUCCEEDED;
        boolean bSucceeded = b.status() == CellStatus.SUCCEEDED;
        if (aSucceeded != bSucceeded) {
            return aSucceeded ? -1 : 1;
        }
        if (a.attempt() != b.attempt()) {
            return aSucceeded ? Integer.compare(a.attempt(), b.attempt()) : Integer.compare(b.attempt(), a.attempt());
        }
        int byRank = Integer.compare(rank(b.status()), rank(a.status()));
        return byRank != 0 ? byRank : a.decidingEventId().compareTo(b.decidingEventId());
    }

    static CellState merge(CellState known, CellState seen) {
        if (known == null) {
            return seen;
        }
        CellState winner = decidesFirst(seen, known) < 0 ? seen : known;
        CellState other = winner == seen ? known : seen;
        Instant dispatchedAt = winner.dispatchedAt();
        Instant startedAt = winner.startedAt();
        if (other.attempt() == winner.attempt()) {
            dispatchedAt = min(dispatchedAt, other.dispatchedAt());
            startedAt = min(startedAt, other.startedAt());
        }
        return winner.toBuilder().config(winner.config() != null ? winner.config() : other.config())
                .dispatchedAt(dispatchedAt).startedAt(startedAt)
                .completions(known.completions() + seen.completions()).build();
    }

    private static CellState withConfig(CellState c, CellConfig config) {
        return c.toBuilder().config(config(config)).build();
    }

    static SweepState.Config config(CellConfig c) {
        return new SweepState.Config(c.getArchitecture(), c.getKind(), c.getFactors(), c.getLearningRate(), c.getBatchSize(),
                c.getEpochs(), c.getSeed(), c.getSteps(), c.getResourceClass());
    }

    private static int rank(CellStatus status) {
        return switch (status) {
            case PENDING -> 0;
            case DISPATCHED -> 1;
            case RUNNING -> 2;
            default -> 3;
        };
    }

    private static Instant min(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
    }

    private static <V> SortedMap<String, V> sorted(Map<String, V> map) {
        return Collections.unmodifiableSortedMap(new TreeMap<>(map));
    }
}
