package dev.agentmesh.core;

import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageHandoff;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

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
                triggeredAt == null ? Instant.EPOCH : triggeredAt, records, "", NOWHERE);
    }

    /**
     * The previous stage's handoff passed on, with the records this stage leaves for the next. Where those records
     * start stays what the previous stage recorded until the stage that wrote new ones says where they start
     * ({@link #recordsStartAt}): a stage that only checks its input passes the same records on.
     */
    public static StageHandoff next(StageCompleted previous, long records) {
        StageHandoff next = of(plan(previous), contract(previous), triggeredAt(previous, null), records);
        recordsStart(previous).ifPresent(at -> {
            next.setRecordsTopic(at.topic());
            next.setRecordsFrom(at.offset());
        });
        return next;
    }

    /** Records where the records this completion leaves for the next stage start: their topic and first offset. */
    public static void recordsStartAt(StageCompleted c, String topic, long offset) {
        if (c.getHandoff() != null && offset >= 0) {
            c.getHandoff().setRecordsTopic(topic);
            c.getHandoff().setRecordsFrom(offset);
        }
    }

    /** Where the records this completion leaves for the next stage start, when the stage that wrote them said so. */
    public static Optional<RecordsStart> recordsStart(StageCompleted c) {
        StageHandoff h = c.getHandoff();
        if (h == null || h.getRecordsTopic().isEmpty() || h.getRecordsFrom() < 0) {
            return Optional.empty();
        }
        return Optional.of(new RecordsStart(h.getRecordsTopic(), h.getRecordsFrom()));
    }

    /** The first of a run's records on {@code topic}: its offset in the run's partition. */
    public record RecordsStart(String topic, long offset) {
    }

    private static final long NOWHERE = -1;

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
