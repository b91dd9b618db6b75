package dev.agentmesh.review.service;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.diagnosis.FailureClass;
import dev.agentmesh.diagnosis.TriageDecider;
import dev.agentmesh.diagnosis.TriagePolicy;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.triage.DataFinding;
import dev.agentmesh.triage.InvestigationReturned;
import dev.agentmesh.triage.TriageOpened;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RunViewTest {

    static final Instant T0 = Instant.parse("2026-12-01T02:00:00Z");

    static RunState fold(RunState state, List<RunEvent> events) {
        for (RunEvent e : events) {
            state = RunStateReducer.apply(state, e);
        }
        return state;
    }

    @Test
    void aFailedRunsPageShowsItsDiagnosisFindingsEvidenceWhoIsMissingAndTheProposal() {
        Envelopes cli = new Envelopes("meshctl", "cli", Clock.fixed(T0, ZoneOffset.UTC));
        Envelope trigger = cli.origin("r1", "g");
        List<RunEvent> events = new ArrayList<>(List.of(
                RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "x.csv", "credit-g", List.of(Stages.ROW_VALIDATION),
                        Map.of(TriageDecider.PARAM_GRANT, "tg")),
                RunEvents.failed(new Envelopes("row-validator", "rv").causedBy(trigger, "finished", 0), Stages.ROW_VALIDATION,
                        "30 of 200 rows (15.0%) broke data contract credit-g, over its limit of 5.0%", false)));
        RunState state = fold(null, events);
        assertNull(RunView.of(state).diagnosis(), "no triage yet");

        TriageDecider decider = new TriageDecider(new Envelopes(TriageDecider.ROLE, "t", Clock.fixed(T0, ZoneOffset.UTC)));
        List<RunEvent> opened = decider.open(state, TriageDecider.automatic(state).orElseThrow(),
                new TriageDecider.Authority(Decision.ALLOWED, 3), new TriagePolicy(Duration.ofSeconds(5), 4), T0);
        state = fold(state, opened);
        RunView.Diagnosis pending = RunView.of(state).diagnosis();
        assertTrue(pending.pending());
        assertEquals(List.of("DATA"), pending.classes());

        String triageId = ((TriageOpened) opened.get(0).getPayload()).getTriageId();
        state = fold(state, List.of(new RunEvent(new Envelopes(FailureClass.Investigators.DATA, "t").causedBy(
                opened.get(1).getEnvelope(), "finding", 1), new InvestigationReturned(triageId, FailureClass.Investigators.DATA,
                "DATA", "30 of 200 rows break contract credit-g; by column: age 30",
                new DataFinding(200L, 30L, Map.of("age", 30L), List.of("t/row-4"), List.of("source rows [4]"))))));
        state = fold(state, decider.next(state, T0.plusSeconds(1)));
        RunView.Diagnosis d = RunView.of(state).diagnosis();
        assertFalse(d.pending());
        assertEquals(1, d.findings().size());
        assertTrue(d.findings().get(0).evidence().contains("sample rows [t/row-4]"), d.findings().get(0).evidence().toString());
        assertEquals(List.of(), d.missing());
        assertEquals("CONTRACT_CHANGE", d.remediationKind());
        assertEquals("meshctl runs resume r1 --from row-validation", d.command());
    }
}
