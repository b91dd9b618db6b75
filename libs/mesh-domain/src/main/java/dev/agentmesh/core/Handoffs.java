package dev.agentmesh.core;

import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageHandoff;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * The typed handshake between stages: what a stage's completion tells the next (the plan, the contract, when the run
 * was triggered, how many records it left for it). Events written before the handoff existed carry these facts in
 * their maps; they are read from there, here and only here.
 */
public final class Handoffs {

    private Handoffs() {
    }

    public static StageHandoff of(List<String> plan, String contract, Instant triggeredAt, long records) {
        return new StageHandoff(List.copyOf(plan), contract == null ? "" : contract,
                triggeredAt == null ? Instant.EPOCH : triggeredAt, records);
    }

    /** The previous stage's handoff passed on, with the records this stage leaves for the next. */
    public static StageHandoff next(StageCompleted previous, long records) {
        return of(plan(previous), contract(previous), triggeredAt(previous, null), records);
    }

    public static List<String> plan(StageCompleted c) {
        if (c.getHandoff() != null) {
            return List.copyOf(c.getHandoff().getPlan());
        }
        String legacy = c.getAudit().get(AuditKeys.PLAN);
        return legacy == null || legacy.isEmpty() ? List.of() : Arrays.asList(legacy.split(","));
    }

    public static String contract(StageCompleted c) {
        if (c.getHandoff() != null && !c.getHandoff().getContract().isEmpty()) {
            return c.getHandoff().getContract();
        }
        return c.getAudit().get(AuditKeys.CONTRACT);
    }

    public static Instant triggeredAt(StageCompleted c, Instant otherwise) {
        if (c.getHandoff() != null && !Instant.EPOCH.equals(c.getHandoff().getTriggeredAt())) {
            return c.getHandoff().getTriggeredAt();
        }
        String legacy = c.getAudit().get(AuditKeys.TRIGGERED_AT);
        return legacy == null || legacy.isEmpty() ? otherwise : Instant.parse(legacy);
    }

    /** How many records the completed stage left for the next; {@code legacyCount} names the count older events used. */
    public static long records(StageCompleted c, String legacyCount) {
        return c.getHandoff() != null ? c.getHandoff().getRecords() : c.getCounts().getOrDefault(legacyCount, 0L);
    }
}
