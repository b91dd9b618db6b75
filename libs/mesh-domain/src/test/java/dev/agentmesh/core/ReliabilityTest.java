package dev.agentmesh.core;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.RunStatus;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ReliabilityTest {

    static final Instant T0 = Instant.parse("2026-11-01T02:00:00Z");
    static final List<String> PLAN = List.of(Stages.ROW_VALIDATION, Stages.FEATURE_EXTRACTION);

    /** A run of {@code pipeline} triggered on day {@code day}; each step is "stage:ok|fail" at attempt 1, or "stage:ok@2". */
    static RunState run(String runId, String pipeline, int day, String... steps) {
        Instant at = T0.plus(Duration.ofDays(day));
        Envelope trigger = new Envelopes("meshctl", "cli", Clock.fixed(at, ZoneOffset.UTC)).origin(runId, "g");
        Envelopes agent = new Envelopes("agent", "a-1", Clock.fixed(at.plusSeconds(5), ZoneOffset.UTC));
        List<RunEvent> events = new ArrayList<>();
        events.add(RunEvents.triggered(trigger, pipeline, "alice", SourceKind.CSV, "x.csv", "credit-g", PLAN, Map.of()));
        for (String step : steps) {
            String stage = step.substring(0, step.indexOf(':'));
            boolean ok = step.contains(":ok");
            int attempt = step.endsWith("@2") ? 2 : 1;
            Envelope started = agent.envelope(runId + stage + attempt + "s", runId, trigger.getEventId(), "g", 0, attempt, 10, null);
            Envelope ended = agent.envelope(runId + stage + attempt + "e", runId, trigger.getEventId(), "g", 0, attempt, 10, null);
            events.add(RunEvents.started(started, stage));
            events.add(ok ? RunEvents.completed(ended, stage, Map.of(), Map.of())
                    : RunEvents.failed(ended, stage, "planted failure", false));
        }
        RunState state = null;
        for (RunEvent e : events) {
            state = RunStateReducer.apply(state, e);
        }
        return state;
    }

    final List<RunState> runs = List.of(
            run("r1", "nightly", 1, "row-validation:fail"),
            run("r2", "nightly", 2, "row-validation:ok", "feature-extraction:ok"),
            run("r3", "nightly", 3, "row-validation:fail"),
            run("r4", "nightly", 4, "row-validation:ok", "feature-extraction:fail", "feature-extraction:ok@2"),
            run("r5", "nightly", 5, "row-validation:ok", "feature-extraction:ok"),
            run("w1", "weekly", 6, "row-validation:ok", "feature-extraction:ok"),
            run("r6", "nightly", 7, "row-validation:ok"));

    @Test
    void theRatesMatchTheHandWorkedFigures() {
        assertEquals(RunStatus.COMPLETED, runs.get(3).status(), "the resumed run completed");
        assertEquals(RunStatus.RUNNING, runs.get(6).status(), "a run still going is not counted");

        Reliability r = Reliability.of(runs, "nightly", 4);
        assertEquals(4, r.runs(), "r2..r5: r1 is older than the window, w1 another pipeline, r6 not ended");
        assertEquals(List.of(
                new Reliability.StageRate("row-validation", "row-validator", new Reliability.Rate(3, 4)),
                new Reliability.StageRate("feature-extraction", "feature-extractor", new Reliability.Rate(2, 3))), r.stages());
        assertEquals(0.75 * 2.0 / 3.0, r.predicted(), 1e-12);
        assertEquals(new Reliability.Rate(2, 4), r.measured(), "r2 and r5 completed with every stage on its first attempt");

        Reliability last2 = Reliability.of(runs, "nightly", 2);
        assertEquals(2, last2.runs());
        assertEquals(new Reliability.Rate(2, 2), last2.stages().get(0).firstAttempt());
        assertEquals(new Reliability.Rate(1, 2), last2.stages().get(1).firstAttempt(), "r4's extraction needed a resume");
        assertEquals(0.5, last2.predicted(), 1e-12);
        assertEquals(0.5, last2.measured().rate(), 1e-12);

        Reliability everything = Reliability.of(runs, null, 100);
        assertEquals(6, everything.runs(), "every ended run of every pipeline");
        assertEquals(new Reliability.Rate(4, 6), everything.stages().get(0).firstAttempt());
    }

    @Test
    void noRunsGiveRatesOfOneAndAWindowBelowOneIsRefused() {
        Reliability none = Reliability.of(List.of(), "nightly", 10);
        assertEquals(0, none.runs());
        assertEquals(List.of(), none.stages());
        assertEquals(1.0, none.predicted());
        assertEquals(1.0, none.measured().rate());
        assertThrows(IllegalArgumentException.class, () -> Reliability.of(runs, null, 0));
    }
}
