package dev.agentmesh.review.service;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TimelineTest {

    static final Instant T0 = Instant.parse("2026-12-01T02:00:00Z");

    static Envelopes at(String role, long seconds) {
        return new Envelopes(role, role + "-1", Clock.fixed(T0.plusSeconds(seconds), ZoneOffset.UTC));
    }

    @Test
    void eachStageIsABarFromItsStartToItsEndOnOneAxisFromTheTrigger() {
        Envelope trigger = at("meshctl", 0).origin("r", "g");
        RunState s = null;
        for (RunEvent e : List.of(
                RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "x.csv", "credit-g",
                        List.of(Stages.ROW_VALIDATION, Stages.FEATURE_EXTRACTION, Stages.PUBLISH), Map.of()),
                RunEvents.started(at("row-validator", 0).causedBy(trigger, "s1", 0), Stages.ROW_VALIDATION),
                RunEvents.completed(at("row-validator", 2).causedBy(trigger, "c1", 0), Stages.ROW_VALIDATION, Map.of(), Map.of()),
                RunEvents.started(at("feature-extractor", 2).causedBy(trigger, "s2", 0), Stages.FEATURE_EXTRACTION),
                RunEvents.failed(at("feature-extractor", 8).causedBy(trigger, "f2", 0), Stages.FEATURE_EXTRACTION, "boom", false))) {
            s = RunStateReducer.apply(s, e);
        }
        Timeline t = Timeline.of(s, T0.plusSeconds(60));
        assertEquals(List.of("row-validation", "feature-extraction", "publish"), t.lanes().stream().map(Timeline.Lane::label).toList());
        Timeline.Lane rv = t.lanes().get(0);
        Timeline.Lane fe = t.lanes().get(1);
        assertEquals(Timeline.LABEL, rv.x(), 1e-9, "the first stage starts at the trigger");
        assertEquals(Timeline.PLOT * 2 / 8.0, rv.width(), 1e-9, "2 s of an 8 s run");
        assertEquals(rv.x() + rv.width(), fe.x(), 1e-9, "the next starts where it ended");
        assertEquals("FAILED", fe.status());
        assertEquals(Timeline.LABEL + Timeline.PLOT, fe.x() + fe.width(), 1e-9, "an ended run's axis ends at its last event");
        assertEquals("NOT_STARTED", t.lanes().get(2).status());
        assertEquals("0", t.ticks().get(0).label());
        assertEquals("8.0s", t.ticks().get(4).label());
        assertNull(Timeline.of(RunStateReducer.apply(null, RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV,
                "x.csv", "credit-g", List.of(Stages.ROW_VALIDATION), Map.of())), T0), "nothing to draw yet");
    }
}
