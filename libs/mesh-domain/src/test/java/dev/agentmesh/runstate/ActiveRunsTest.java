package dev.agentmesh.runstate;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ActiveRunsTest {

    static RunEvent completed(String stage, int attempt) {
        Envelope e = new Envelopes("agent", "a").envelope("e-" + stage + attempt, "r", null, "g", 0, attempt, 0, null);
        return RunEvents.completed(e, stage, Map.of(), Map.of());
    }

    @Test
    void aSettledRunComesBackOnlyWhenAnotherStageCompletesAgainAsALaterAttempt() {
        assertTrue(ActiveRuns.reopens(completed(Stages.PUBLISH, 2), Stages.SWEEP), "resumed: the sweep may run again");
        assertFalse(ActiveRuns.reopens(completed(Stages.PUBLISH, 1), Stages.SWEEP), "a first completion is no resume");
        assertFalse(ActiveRuns.reopens(completed(Stages.SWEEP, 2), Stages.SWEEP), "its own stage's completion");
        Envelope started = new Envelopes("agent", "a").envelope("s", "r", null, "g", 0, 3, 0, null);
        assertFalse(ActiveRuns.reopens(RunEvents.started(started, Stages.PUBLISH), Stages.SWEEP));
    }

    @Test
    void runsThatDoNotPlanTheStageAreSettledOnSightAndOthersAreKeptInTheStore() {
        ActiveRuns.Table active = ActiveRuns.inMemory();
        ActiveRuns.Table settled = ActiveRuns.inMemory();
        ActiveRuns runs = new ActiveRuns(active, settled, Stages.SWEEP);
        Envelopes cli = new Envelopes("meshctl", "t");
        RunEvent sweeps = RunEvents.triggered(cli.origin("sweeps", "g"), "nightly", "t", SourceKind.CSV, "x.csv",
                "credit-g", List.of(Stages.PUBLISH, Stages.SWEEP), Map.of());
        RunEvent ingestOnly = RunEvents.triggered(cli.origin("ingest-only", "g"), "nightly", "t", SourceKind.CSV, "x.csv",
                "credit-g", List.of(Stages.PUBLISH), Map.of());

        assertTrue(runs.fold(sweeps).isPresent());
        assertTrue(runs.fold(ingestOnly).isEmpty());
        assertTrue(runs.settled("ingest-only"));
        assertEquals(List.of("sweeps"), runs.all().stream().map(RunState::runId).toList());
        assertEquals(1, active.get("sweeps").eventCount(), "the store holds the folded state");

        runs.settle(active.get("sweeps"));
        assertTrue(runs.all().isEmpty());
        Envelope later = new Envelopes("agent", "a").envelope("e-later", "sweeps", null, "g", 0, 1, 0, null);
        assertTrue(runs.fold(RunEvents.completed(later, Stages.PUBLISH, Map.of(), Map.of())).isEmpty(),
                "a settled run is not acted on");
        assertEquals(2, settled.get("sweeps").eventCount(), "but its events are still folded, so its state stays whole");
        Envelope resumed = new Envelopes("agent", "a").envelope("e-resumed", "sweeps", null, "g", 0, 2, 0, null);
        RunState reopened = runs.fold(RunEvents.completed(resumed, Stages.PUBLISH, Map.of(), Map.of())).orElseThrow();
        assertTrue(reopened.triggered(), "a resume reopens it, whole: " + reopened);
        assertEquals(3, reopened.eventCount());
        assertFalse(runs.settled("sweeps"));
    }
}
