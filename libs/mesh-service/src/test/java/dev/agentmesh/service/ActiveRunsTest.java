package dev.agentmesh.service;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.run.RunEvent;
import org.junit.jupiter.api.Test;

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
}
