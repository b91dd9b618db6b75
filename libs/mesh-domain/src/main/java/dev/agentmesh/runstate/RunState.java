package dev.agentmesh.runstate;

import java.time.Instant;
import java.util.List;
import java.util.SortedMap;

/**
 * Everything known about a run, derived from its events alone. Collections are sorted so that the
 * same set of events always gives the same value, whatever order they arrived in. {@code eventIds} is a sorted,
 * duplicate-free list (an array copy per event is far cheaper than a tree copy when a log is folded in bulk).
 */
public record RunState(
        String runId,
        RunStatus status,
        String pipeline,
        String requestedBy,
        String source,
        String contract,
        List<String> plannedStages,
        SortedMap<String, String> parameters,
        Instant triggeredAt,
        Instant lastEventAt,
        SortedMap<String, StageState> stages,
        Dataset dataset,
        SweepState sweep,
        GateState gate,
        long computeMs,
        long tokens,
        SortedMap<String, GrantCost> costByGrant,
        SortedMap<String, RedrivenRow> redrivenRows,
        Stall stall,
        TriageState triage,
        List<String> eventIds) {

    /** Key of {@link #costByGrant} for events that name no grant. */
    public static final String NO_GRANT = "(none)";

    /** What the events acting under one grant cost, directly (not its subtree: see {@code CostRollup}). */
    public record GrantCost(long computeMs, long tokens, long moneyMicros, long events) {
        GrantCost plus(GrantCost other) {
            return new GrantCost(computeMs + other.computeMs, tokens + other.tokens, moneyMicros + other.moneyMicros,
                    events + other.events);
        }
    }

    /** The run's published dataset artifact. */
    public record Dataset(String location, String checksum, SortedMap<String, Long> counts, int features,
                          SortedMap<String, String> splits, List<String> featureNames, String labelColumn,
                          String positiveLabel, String announcedBy, int attempt) {
    }

    /** A dead-lettered row re-driven from review and validated again, by row index. */
    public record RedrivenRow(long rowIndex, boolean valid, String reason, String redriveOf, String eventId) {
    }

    /** The run was flagged as stalled at {@code stage} and nothing has happened since. */
    public record Stall(String stage, String reason, Instant at, String eventId) {
    }

    public long eventCount() {
        return eventIds.size();
    }

    public boolean triggered() {
        return pipeline != null;
    }
}
