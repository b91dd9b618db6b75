package dev.agentmesh.scheduling;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.agentmesh.schedule.CatchUp;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * When a schedule fires, with no Kafka in it: a cron expression read in a time zone (Unix, 5 fields, minute first;
 * or Quartz, 6-7 fields, second first), the fires due since the last handled one, the catch-up policy for fires
 * missed while no scheduler ran, and the run id and event id a fire gets (the same fire is always the same run).
 */
public final class ScheduleClock {

    /** By default, a fire later than this after its time counts as missed (no scheduler ran), not merely late. */
    public static final Duration ON_TIME = Duration.ofSeconds(30);
    /** At most this many past fire times are looked at: enough for any catch-up policy. */
    private static final int MAX_LOOKBACK = 10_000;
    private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final ExecutionTime executions;
    private final ZoneId zone;

    private ScheduleClock(ExecutionTime executions, ZoneId zone) {
        this.executions = executions;
        this.zone = zone;
    }

    /** @throws IllegalArgumentException with what is wrong, for an expression or zone that cannot be used */
    public static ScheduleClock of(String cron, String timeZone) {
        ZoneId zone;
        try {
            zone = ZoneId.of(timeZone);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("unknown time zone '" + timeZone + "' (an IANA name such as Europe/Berlin)");
        }
        String expression = cron == null ? "" : cron.trim();
        int fields = expression.isEmpty() ? 0 : expression.split("\\s+").length;
        CronType type = fields == 5 ? CronType.UNIX : fields == 6 || fields == 7 ? CronType.QUARTZ : null;
        if (type == null) {
            throw new IllegalArgumentException("cron '" + cron + "' has " + fields + " fields: use 5 (Unix: minute hour"
                    + " day-of-month month day-of-week) or 6-7 (Quartz: second first)");
        }
        try {
            Cron parsed = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(type)).parse(expression).validate();
            return new ScheduleClock(ExecutionTime.forCron(parsed), zone);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cron '" + cron + "' is not valid: " + e.getMessage());
        }
    }

    /** The first fire after {@code after}. */
    public Optional<Instant> next(Instant after) {
        return executions.nextExecution(ZonedDateTime.ofInstant(after, zone)).map(ZonedDateTime::toInstant);
    }

    /** A fire to trigger, or one the policy skips. */
    public record Due(Instant fireTime, boolean skipped) {
    }

    /**
     * The fires after {@code handledUpTo} and at or before {@code now}, oldest first, and what to do with each: a fire
     * within {@code onTime} of now is triggered; older ones were missed while no scheduler ran, and {@code catchUp}
     * decides: SKIP skips them all, RUN_ONCE triggers the latest of them once and skips the rest.
     */
    public List<Due> due(Instant handledUpTo, Instant now, CatchUp catchUp, Duration onTime) {
        List<Instant> fires = new ArrayList<>();
        Instant cursor = handledUpTo;
        for (int i = 0; i < MAX_LOOKBACK; i++) {
            Optional<Instant> next = next(cursor);
            if (next.isEmpty() || next.get().isAfter(now)) {
                break;
            }
            fires.add(next.get());
            cursor = next.get();
        }
        List<Due> due = new ArrayList<>();
        Instant onTimeFrom = now.minus(onTime);
        Instant latestMissed = fires.stream().filter(f -> f.isBefore(onTimeFrom)).reduce((a, b) -> b).orElse(null);
        for (Instant fire : fires) {
            boolean inTime = !fire.isBefore(onTimeFrom);
            boolean caughtUp = catchUp == CatchUp.RUN_ONCE && fire.equals(latestMissed);
            due.add(new Due(fire, !inTime && !caughtUp));
        }
        return due;
    }

    /** The run a fire triggers: the schedule and the fire time, so a fire handled twice is the same run. */
    public static String runId(String scheduleId, Instant fireTime) {
        return scheduleId + "-" + RUN_TIME.format(fireTime);
    }

    /** The trigger event's id, derived like the run id. */
    public static String eventId(String scheduleId, Instant fireTime) {
        return UUID.nameUUIDFromBytes(("schedule|" + scheduleId + "|" + fireTime.toEpochMilli())
                .getBytes(StandardCharsets.UTF_8)).toString();
    }
}
