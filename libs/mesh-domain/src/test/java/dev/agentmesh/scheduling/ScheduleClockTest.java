package dev.agentmesh.scheduling;

import dev.agentmesh.schedule.CatchUp;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScheduleClockTest {

    @Test
    void aUnixExpressionIsReadInItsTimeZoneAcrossADaylightSavingChange() {
        ScheduleClock berlin = ScheduleClock.of("0 2 * * *", "Europe/Berlin");
        assertEquals(Instant.parse("2026-03-28T01:00:00Z"), berlin.next(Instant.parse("2026-03-27T12:00:00Z")).orElseThrow(),
                "02:00 CET is 01:00 UTC");
        assertEquals(Instant.parse("2026-03-30T00:00:00Z"), berlin.next(Instant.parse("2026-03-29T12:00:00Z")).orElseThrow(),
                "02:00 CEST is 00:00 UTC");
    }

    @Test
    void aQuartzExpressionHasSeconds() {
        ScheduleClock every5s = ScheduleClock.of("*/5 * * * * ?", "UTC");
        assertEquals(Instant.parse("2026-11-30T02:00:05Z"), every5s.next(Instant.parse("2026-11-30T02:00:01Z")).orElseThrow());
    }

    @Test
    void unusableExpressionsAndZonesSayWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScheduleClock.of("0 2 * *", "UTC")).getMessage()
                .contains("has 4 fields"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScheduleClock.of("0 25 * * *", "UTC")).getMessage()
                .contains("not valid"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ScheduleClock.of("0 2 * * *", "Mars/Olympus")).getMessage()
                .contains("unknown time zone"));
    }

    @Test
    void onTimeFiresAreDueAndMissedOnesFollowTheCatchUpPolicy() {
        ScheduleClock everyMinute = ScheduleClock.of("* * * * *", "UTC");
        Instant handled = Instant.parse("2026-11-30T02:00:00Z");
        Instant now = Instant.parse("2026-11-30T02:05:10Z");
        List<ScheduleClock.Due> skip = everyMinute.due(handled, now, CatchUp.SKIP, ScheduleClock.ON_TIME);
        assertEquals(List.of(Instant.parse("2026-11-30T02:01:00Z"), Instant.parse("2026-11-30T02:02:00Z"),
                Instant.parse("2026-11-30T02:03:00Z"), Instant.parse("2026-11-30T02:04:00Z"), Instant.parse("2026-11-30T02:05:00Z")),
                skip.stream().map(ScheduleClock.Due::fireTime).toList());
        assertEquals(List.of(true, true, true, true, false), skip.stream().map(ScheduleClock.Due::skipped).toList(),
                "02:05 is 10 s late, on time; the others were missed");
        assertEquals(List.of(true, true, true, false, false), everyMinute.due(handled, now, CatchUp.RUN_ONCE, ScheduleClock.ON_TIME).stream()
                .map(ScheduleClock.Due::skipped).toList(), "RUN_ONCE: the latest missed fire once, and the on-time one");

        Instant later = Instant.parse("2026-11-30T02:05:50Z");
        assertEquals(List.of(true, true, true, true, false), everyMinute.due(handled, later, CatchUp.RUN_ONCE, ScheduleClock.ON_TIME).stream()
                .map(ScheduleClock.Due::skipped).toList(), "all missed: RUN_ONCE runs the latest");
        assertEquals(List.of(true, true, true, true, true), everyMinute.due(handled, later, CatchUp.SKIP, ScheduleClock.ON_TIME).stream()
                .map(ScheduleClock.Due::skipped).toList());
        assertEquals(List.of(), everyMinute.due(now, now.plusSeconds(20), CatchUp.SKIP, ScheduleClock.ON_TIME), "nothing due yet");
    }

    @Test
    void aFireIsAlwaysTheSameRunAndEvent() {
        Instant fire = Instant.parse("2026-11-30T02:00:00Z");
        assertEquals("nightly-20261130T020000Z", ScheduleClock.runId("nightly", fire));
        assertEquals(ScheduleClock.eventId("nightly", fire), ScheduleClock.eventId("nightly", fire));
        assertNotEquals(ScheduleClock.eventId("nightly", fire), ScheduleClock.eventId("nightly", fire.plusSeconds(60)));
    }
}
