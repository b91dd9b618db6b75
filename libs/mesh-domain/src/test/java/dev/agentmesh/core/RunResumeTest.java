package dev.agentmesh.core;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.StageState;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RunResumeTest {

    @Test
    void resumingFromAFailedStageRepublishesItsCauseAsANewAttemptThatOutranksTheFailure() {
        Envelope trigger = new Envelopes("meshctl", "cli").origin("r", "g");
        Envelopes a = new Envelopes("agent", "a");
        RunEvent triggered = RunEvents.triggered(trigger, "nightly", "x", SourceKind.CSV, "f.csv", "credit-g", Stages.INGEST, Map.of());
        RunEvent validated = RunEvents.completed(a.causedBy(trigger, "v", 0), Stages.ROW_VALIDATION, Map.of("rows.out", 3L), Map.of());
        RunEvent extractionFailed = RunEvents.failed(a.causedBy(validated.getEnvelope(), "f", 0), Stages.FEATURE_EXTRACTION, "disk full", true);
        List<RunEvent> events = new ArrayList<>(List.of(triggered, validated, extractionFailed));
        RunState state = null;
        for (RunEvent e : events) {
            state = RunStateReducer.apply(state, e);
        }
        assertEquals(RunStatus.FAILED, state.status());

        RunEvent cause = RunResume.cause(state, events, Stages.FEATURE_EXTRACTION).orElseThrow();
        assertSame(validated, cause, "feature extraction starts from the row validation's completion");
        assertSame(triggered, RunResume.cause(state, events, Stages.ROW_VALIDATION).orElseThrow());
        assertTrue(RunResume.cause(state, events, Stages.PUBLISH).isEmpty(), "schema-check never completed");
        RunState finalState = state;
        assertThrows(IllegalArgumentException.class, () -> RunResume.cause(finalState, events, Stages.SWEEP), "not in this plan");

        int attempt = RunResume.nextAttempt(state, Stages.FEATURE_EXTRACTION);
        assertEquals(2, attempt);
        RunEvent again = RunResume.again(cause, attempt, "operator");
        assertNotEquals(cause.getEnvelope().getEventId(), again.getEnvelope().getEventId());
        assertEquals(cause.getEnvelope().getEventId(), again.getEnvelope().getCausationId());
        assertEquals("g", again.getEnvelope().getGrantId(), "under the run's own grant");
        RunEvent retried = RunEvents.completed(a.causedBy(again.getEnvelope(), "f", 0), Stages.FEATURE_EXTRACTION, Map.of(), Map.of());
        RunState resumed = RunStateReducer.apply(RunStateReducer.apply(state, again), retried);
        assertEquals(StageState.Status.COMPLETED, resumed.stages().get(Stages.FEATURE_EXTRACTION).status());
        assertEquals(2, resumed.stages().get(Stages.FEATURE_EXTRACTION).attempt());
        assertEquals(RunStatus.RUNNING, resumed.status(), "no longer failed; the later stages are still to run");
    }

    @Test
    void theSweepAndTheGateResumeFromThePreviousStagesCompletionButNotAsTheFirstStageOfAPlan() {
        Envelope trigger = new Envelopes("meshctl", "cli").origin("r2", "g");
        Envelopes a = new Envelopes("agent", "a");
        List<String> plan = List.of(Stages.PUBLISH, Stages.SWEEP, Stages.GATE);
        RunEvent published = RunEvents.completed(a.causedBy(trigger, "p", 0), Stages.PUBLISH, Map.of(), Map.of());
        List<RunEvent> events = List.of(RunEvents.triggered(trigger, "nightly", "x", SourceKind.CSV, "f.csv", "credit-g", plan, Map.of()),
                published, RunEvents.failed(a.causedBy(published.getEnvelope(), "s", 0), Stages.SWEEP, "1 of 2 cells", false));
        RunState state = null;
        for (RunEvent e : events) {
            state = RunStateReducer.apply(state, e);
        }
        assertSame(published, RunResume.cause(state, events, Stages.SWEEP).orElseThrow());
        assertEquals(2, RunResume.nextAttempt(state, Stages.SWEEP));
        RunState finalState = state;
        assertTrue(RunResume.cause(finalState, events, Stages.GATE).isEmpty(), "the sweep never completed: nothing to resume the gate from");
        var unknown = assertThrows(IllegalArgumentException.class, () -> RunResume.cause(finalState, events, "deploy"));
        assertTrue(unknown.getMessage().contains("not in the run's plan"), unknown.getMessage());

        List<RunEvent> sweepOnly = List.of(RunEvents.triggered(new Envelopes("meshctl", "cli").origin("r3", "g"), "nightly", "x",
                SourceKind.CSV, "f.csv", "credit-g", List.of(Stages.SWEEP), Map.of()));
        RunState sweepFirst = RunStateReducer.apply(null, sweepOnly.get(0));
        var first = assertThrows(IllegalArgumentException.class, () -> RunResume.cause(sweepFirst, sweepOnly, Stages.SWEEP));
        assertTrue(first.getMessage().contains("first stage"), first.getMessage());
    }
}
