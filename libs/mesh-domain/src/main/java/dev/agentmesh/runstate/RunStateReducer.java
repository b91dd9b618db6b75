package dev.agentmesh.runstate;

import dev.agentmesh.core.Stages;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.run.RowRedriven;
import dev.agentmesh.run.RunStalled;
import dev.agentmesh.sweep.SweepOutcome;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.run.DatasetPublished;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.run.StageStarted;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Folds run events into {@link RunState}. The fold is idempotent (an event id applies once) and
 * order-independent (every rule is a max, min, sum or a total tie-break), so at-least-once delivery,
 * re-drives and replays all give the same state. Shared by run-state and the replay tool.
 */
public final class RunStateReducer {

    private RunStateReducer() {
    }

    public static RunState empty(String runId) {
        return new RunState(runId, RunStatus.PENDING, null, null, null, null, List.of(),
                Collections.unmodifiableSortedMap(new TreeMap<>()), null, null,
                Collections.unmodifiableSortedMap(new TreeMap<>()), null, null, null, 0, 0,
                Collections.unmodifiableSortedMap(new TreeMap<>()),
                Collections.unmodifiableSortedMap(new TreeMap<>()),
                null,
                null,
                List.of());
    }

    public static RunState apply(RunState state, RunEvent event) {
        Envelope envelope = event.getEnvelope();
        if (state == null) {
            state = empty(envelope.getRunId());
        }
        if (!state.runId().equals(envelope.getRunId())) {
            throw new IllegalArgumentException("event " + envelope.getEventId() + " belongs to run "
                    + envelope.getRunId() + ", not " + state.runId());
        }
        int position = Collections.binarySearch(state.eventIds(), envelope.getEventId());
        if (position >= 0) {
            return state;
        }
        String[] known = state.eventIds().toArray(new String[0]);
        String[] ids = new String[known.length + 1];
        int insertAt = -position - 1;
        System.arraycopy(known, 0, ids, 0, insertAt);
        ids[insertAt] = envelope.getEventId();
        System.arraycopy(known, insertAt, ids, insertAt + 1, known.length - insertAt);
        List<String> eventIds = Collections.unmodifiableList(Arrays.asList(ids));
        SortedMap<String, StageState> stages = state.stages();
        Instant at = envelope.getOccurredAt();
        // the last time the run made progress: a stall flag, or the triage of a failure or stall, is not progress
        boolean progress = !(event.getPayload() instanceof RunStalled) && !TriageReducer.handles(event.getPayload());
        Instant lastEventAt = progress ? max(state.lastEventAt(), at) : state.lastEventAt();

        String pipeline = state.pipeline();
        String requestedBy = state.requestedBy();
        String source = state.source();
        String contract = state.contract();
        List<String> planned = state.plannedStages();
        SortedMap<String, String> parameters = state.parameters();
        SweepState sweep = state.sweep();
        GateState gate = state.gate();
        TriageState triage = state.triage();
        Instant triggeredAt = state.triggeredAt();
        RunState.Dataset dataset = state.dataset();
        SortedMap<String, RunState.RedrivenRow> redriven = state.redrivenRows();
        // progress after a stall clears it
        RunState.Stall stall = progress && state.stall() != null && at.isAfter(state.stall().at()) ? null : state.stall();

        Object payload = event.getPayload();
        if (payload instanceof RunTriggered t) {
            // A second trigger for the same run id (a re-publish) keeps the earliest one.
            if (triggeredAt == null || at.isBefore(triggeredAt)) {
                pipeline = t.getPipeline();
                requestedBy = t.getRequestedBy();
                source = t.getSourceKind() + ":" + t.getSourceLocation();
                contract = t.getContract();
                planned = List.copyOf(t.getPlannedStages());
                parameters = Collections.unmodifiableSortedMap(new TreeMap<>(t.getParameters()));
                triggeredAt = at;
            }
        } else if (payload instanceof StageStarted s) {
            stages = merge(stages, observation(s.getStage(), StageState.Status.STARTED, envelope, Map.of(), Map.of(), null));
        } else if (payload instanceof StageCompleted c) {
            stages = merge(stages, observation(c.getStage(), StageState.Status.COMPLETED, envelope, c.getCounts(), c.getAudit(), null));
        } else if (payload instanceof StageFailed f) {
            stages = merge(stages, observation(f.getStage(), StageState.Status.FAILED, envelope, Map.of(), Map.of(), f.getReason()));
            if (f.getStage().equals(Stages.GATE)) {
                gate = GateReducer.actedOn(gate, envelope);
            }
        } else if (payload instanceof DatasetPublished d) {
            // A resumed run's later attempt announces the dataset it re-made; within an attempt (re-publishing the same
            // rows gives the same checksum) the lowest event id wins.
            if (dataset == null || envelope.getAttempt() > dataset.attempt() || (envelope.getAttempt() == dataset.attempt()
                    && envelope.getEventId().compareTo(dataset.announcedBy()) < 0)) {
                dataset = new RunState.Dataset(d.getLocation(), d.getChecksum(),
                        Collections.unmodifiableSortedMap(new TreeMap<>(d.getCounts())), d.getFeatureNames().size(),
                        Collections.unmodifiableSortedMap(new TreeMap<>(d.getSplits())), List.copyOf(d.getFeatureNames()),
                        d.getLabelColumn(), d.getPositiveLabel(), envelope.getEventId(), envelope.getAttempt());
            }
        } else if (SweepReducer.handles(payload)) {
            sweep = SweepReducer.apply(sweep, envelope, payload);
        } else if (payload instanceof RowRedriven r) {
            // Keyed by the dead-lettered row's event id: a second re-drive of the same row carries the same event id.
            TreeMap<String, RunState.RedrivenRow> rows = new TreeMap<>(redriven);
            rows.putIfAbsent(Long.toString(r.getRowIndex()), new RunState.RedrivenRow(r.getRowIndex(), r.getValid(),
                    r.getReason(), r.getRedriveOf(), envelope.getEventId()));
            redriven = Collections.unmodifiableSortedMap(rows);
        } else if (payload instanceof RunStalled st) {
            // flagged only if nothing happened after the silence it reports
            if (state.lastEventAt() == null || !state.lastEventAt().isAfter(st.getLastEventAt())) {
                stall = new RunState.Stall(st.getStage(), st.getReason(), at, envelope.getEventId());
            }
        } else if (payload instanceof ModelCalled) {
            // what a model call cost is in its envelope, folded below; the call itself is the log's record
        } else if (TriageReducer.handles(payload)) {
            triage = TriageReducer.apply(triage, envelope, payload);
        } else if (GateReducer.handles(payload)) {
            gate = GateReducer.apply(gate, envelope, payload);
        } else {
            throw new IllegalArgumentException("unknown run event payload " + payload);
        }

        RunStatus status = sweep != null && sweep.outcome() != null
                && SweepOutcome.REVOKED.name().equals(sweep.outcome().outcome())
                ? RunStatus.REVOKED : withGate(derive(pipeline != null, planned, stages), gate);
        if (stall != null && !status.terminal() && status != RunStatus.AWAITING_PRINCIPAL) {
            status = RunStatus.STALLED;
        }
        return new RunState(state.runId(), status, pipeline, requestedBy, source, contract, planned, parameters,
                triggeredAt, lastEventAt, stages, dataset, sweep, gate,
                state.computeMs() + envelope.getCost().getComputeMs(),
                state.tokens() + envelope.getCost().getTokens(),
                costByGrant(state.costByGrant(), envelope),
                redriven,
                stall,
                triage,
                eventIds);
    }

    private static SortedMap<String, RunState.GrantCost> costByGrant(SortedMap<String, RunState.GrantCost> known, Envelope e) {
        String grant = e.getGrantId() == null ? RunState.NO_GRANT : e.getGrantId();
        RunState.GrantCost cost = new RunState.GrantCost(e.getCost().getComputeMs(), e.getCost().getTokens(),
                e.getCost().getMoneyMicros(), 1);
        RunState.GrantCost before = known.get(grant);
        return SortedArrayMap.of(known).with(grant, before == null ? cost : before.plus(cost));
    }

    /** A returned run waits for its principal; a run whose principal's rejection was acted on is rejected. */
    static RunStatus withGate(RunStatus status, GateState gate) {
        if (gate == null) {
            return status;
        }
        var accepted = gate.acceptedPrincipalDecision();
        if (status == RunStatus.FAILED && accepted.isPresent() && "REJECT".equals(accepted.get().getValue().decision())) {
            return RunStatus.REJECTED;
        }
        if (!status.terminal() && gate.returnedToPrincipal() && gate.deployment() == null && accepted.isEmpty()) {
            return RunStatus.AWAITING_PRINCIPAL;
        }
        return status;
    }

    static RunStatus derive(boolean triggered, List<String> planned, Map<String, StageState> stages) {
        for (StageState s : stages.values()) {
            if (s.status() == StageState.Status.FAILED) {
                return RunStatus.FAILED;
            }
        }
        if (triggered && !planned.isEmpty() && allCompleted(planned, stages)) {
            return RunStatus.COMPLETED;
        }
        if (!triggered) {
            return RunStatus.PENDING;
        }
        return stages.isEmpty() ? RunStatus.TRIGGERED : RunStatus.RUNNING;
    }

    private static boolean allCompleted(List<String> planned, Map<String, StageState> stages) {
        for (String name : planned) {
            StageState s = stages.get(name);
            if (s == null || s.status() != StageState.Status.COMPLETED) {
                return false;
            }
        }
        return true;
    }

    private static StageState observation(String stage, StageState.Status status, Envelope envelope,
                                          Map<String, Long> counts, Map<String, String> audit, String reason) {
        Instant at = envelope.getOccurredAt();
        return new StageState(stage, status, envelope.getAttempt(),
                status == StageState.Status.STARTED ? at : null,
                status.terminal() ? at : null,
                Collections.unmodifiableSortedMap(new TreeMap<>(counts)),
                Collections.unmodifiableSortedMap(new TreeMap<>(audit)),
                reason, envelope.getAgentInstance(), envelope.getEventId());
    }

    /** The latest attempt wins; within it a terminal outcome beats "started", and failure beats success. */
    private static SortedMap<String, StageState> merge(SortedMap<String, StageState> stages, StageState seen) {
        StageState known = stages.get(seen.stage());
        if (known == null || seen.attempt() > known.attempt()) {
            return SortedArrayMap.of(stages).with(seen.stage(), seen);
        }
        if (seen.attempt() < known.attempt()) {
            return stages;
        }
        Instant startedAt = min(known.startedAt(), seen.startedAt());
        StageState outcome = rank(seen) > rank(known)
                || (rank(seen) == rank(known) && seen.decidingEventId().compareTo(known.decidingEventId()) < 0)
                ? seen : known;
        return SortedArrayMap.of(stages).with(seen.stage(), new StageState(outcome.stage(), outcome.status(),
                outcome.attempt(), startedAt, outcome.finishedAt(), outcome.counts(), outcome.audit(), outcome.reason(),
                outcome.agentInstance(), outcome.decidingEventId()));
    }

    private static int rank(StageState s) {
        return switch (s.status()) {
            case STARTED -> 0;
            case COMPLETED -> 1;
            case FAILED -> 2;
        };
    }

    private static Instant max(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
    }

    private static Instant min(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
    }
}
