package dev.agentmesh.scheduling;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.schedule.Fire;
import dev.agentmesh.schedule.FireOutcome;
import dev.agentmesh.schedule.Schedule;
import dev.agentmesh.schedule.ScheduleState;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One tick of one schedule, with no Kafka in it: the fires due since the last handled one, each checked against the
 * schedule's grant (schedule-runs on the pipeline) at this moment, each triggered, refused or skipped, and the
 * schedule as it stands after them (what was handled, and its recent fires).
 */
public final class ScheduleTicker {

    /** How many recent fires a schedule keeps. */
    public static final int KEPT_FIRES = 20;

    /** The triggers to publish and the schedule to write back, in one transaction; {@code fires}: this tick's. */
    public record Tick(List<RunEvent> triggers, List<Fire> fires, Schedule updated) {
    }

    private final Envelopes envelopes;
    private final Function<ActionRequest, Decision> grants;
    private final Duration onTime;

    /** {@code onTime}: how late a fire may be and still count as on time, not missed (see {@link ScheduleClock#due}). */
    public ScheduleTicker(Envelopes envelopes, Function<ActionRequest, Decision> grants, Duration onTime) {
        this.envelopes = envelopes;
        this.grants = grants;
        this.onTime = onTime;
    }

    public Optional<Tick> tick(Schedule schedule, Instant now) {
        if (schedule.getState() != ScheduleState.ACTIVE) {
            return Optional.empty();
        }
        ScheduleClock clock = ScheduleClock.of(schedule.getCron(), schedule.getTimeZone());
        Instant handledUpTo = schedule.getFiredUpTo().equals(Instant.EPOCH) ? schedule.getCreatedAt() : schedule.getFiredUpTo();
        List<ScheduleClock.Due> due = clock.due(handledUpTo, now, schedule.getCatchUp(), onTime);
        if (due.isEmpty()) {
            return Optional.empty();
        }
        List<RunEvent> triggers = new ArrayList<>();
        List<Fire> thisTick = new ArrayList<>();
        for (ScheduleClock.Due d : due) {
            String runId = ScheduleClock.runId(schedule.getScheduleId(), d.fireTime());
            if (d.skipped()) {
                thisTick.add(new Fire(d.fireTime(), runId, FireOutcome.SKIPPED, "missed while no scheduler ran; catch-up policy "
                        + schedule.getCatchUp()));
                continue;
            }
            Decision decision = grants.apply(new ActionRequest(schedule.getGrantId(), Actions.SCHEDULE_RUNS,
                    Resources.pipeline(schedule.getPipeline()), 0, 0, now));
            if (!decision.allowed()) {
                thisTick.add(new Fire(d.fireTime(), runId, FireOutcome.REFUSED, decision.reason()));
                continue;
            }
            Envelope envelope = envelopes.envelope(ScheduleClock.eventId(schedule.getScheduleId(), d.fireTime()), runId,
                    schedule.getEnvelope().getEventId(), schedule.getGrantId(), 0, 1, 0, null);
            triggers.add(RunEvents.triggered(envelope, schedule.getPipeline(), "schedule:" + schedule.getScheduleId(),
                    schedule.getSourceKind(), schedule.getSource(), schedule.getContract(), schedule.getStages(),
                    schedule.getParameters()));
            thisTick.add(new Fire(d.fireTime(), runId, FireOutcome.TRIGGERED, null));
        }
        List<Fire> fires = new ArrayList<>(schedule.getFires());
        fires.addAll(thisTick);
        Instant lastDue = due.get(due.size() - 1).fireTime();
        Envelope cause = schedule.getEnvelope();
        Schedule updated = Schedule.newBuilder(schedule)
                .setEnvelope(envelopes.envelope(envelopes.derivedId(cause.getEventId(), "handled|" + lastDue.toEpochMilli()),
                        schedule.getScheduleId(), cause.getEventId(), schedule.getGrantId(), 0, 1, 0, null))
                .setFiredUpTo(lastDue)
                .setFires(List.copyOf(fires.subList(Math.max(0, fires.size() - KEPT_FIRES), fires.size())))
                .build();
        return Optional.of(new Tick(List.copyOf(triggers), List.copyOf(thisTick), updated));
    }

    /**
     * A person's change as the scheduler accepts it ({@link #merge}), under the scheduler's own envelope: written
     * back, it is the schedule's latest record, after any write-back of a tick that ran before the change was seen.
     */
    public Schedule accept(Schedule stored, Schedule written, Instant now) {
        Envelope change = written.getEnvelope();
        return Schedule.newBuilder(merge(stored, written, now))
                .setEnvelope(envelopes.envelope(envelopes.derivedId(change.getEventId(), "accepted"), written.getScheduleId(),
                        change.getEventId(), written.getGrantId(), 0, 1, 0, null))
                .build();
    }

    /**
     * A schedule written by a person, merged with what the scheduler knows of it: its handled fires and their history
     * are the scheduler's; a schedule resumed from a pause starts from now (a pause is not a missed fire).
     */
    public static Schedule merge(Schedule stored, Schedule written, Instant now) {
        if (stored == null || stored.getState() == ScheduleState.DELETED) {
            return written;
        }
        Schedule.Builder merged = Schedule.newBuilder(written).setFires(stored.getFires()).setFiredUpTo(stored.getFiredUpTo());
        if (stored.getState() == ScheduleState.PAUSED && written.getState() == ScheduleState.ACTIVE) {
            merged.setFiredUpTo(now);
        }
        return merged.build();
    }
}
