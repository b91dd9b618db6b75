package dev.agentmesh.team;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.gate.AssessmentRequested;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Disposition;
import dev.agentmesh.gate.GateDecided;
import dev.agentmesh.gate.PrincipalDecided;
import dev.agentmesh.gate.PrincipalDecision;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.judgment.SpendLimit;
import dev.agentmesh.run.DatasetPublished;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellConfig;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.sweep.SweepOutcome;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GateDeciderTest {

    static final Instant T0 = Instant.parse("2026-11-23T02:00:00Z");
    static final GatePolicy POLICY = GatePolicy.load(GatePolicy.DEFAULT);
    static final GateDecider.Authority ALLOWED = new GateDecider.Authority("g-coord", 1, Decision.ALLOWED);
    final GateDecider decider = new GateDecider(new Envelopes("coordinator", "c-1", Clock.fixed(T0, ZoneOffset.UTC)));

    static RunState apply(RunState s, List<RunEvent> events) {
        for (RunEvent e : events) {
            s = RunStateReducer.apply(s, e);
        }
        return s;
    }

    /** A run whose sweep finished with winner "w" and whose plan ends with the gate. */
    static RunState sweptRun() {
        return apply(null, sweptRunEvents());
    }

    static List<RunEvent> sweptRunEvents() {
        Envelopes meshctl = new Envelopes("meshctl", "t", Clock.fixed(T0, ZoneOffset.UTC));
        Envelope trigger = meshctl.origin("r1", "g-op");
        Envelopes others = new Envelopes("sweep-orchestrator", "o", Clock.fixed(T0, ZoneOffset.UTC));
        CellConfig config = new CellConfig("w", "logistic", "logistic", 0, 0.03, 64, 5, 42L, List.of(), null);
        return List.of(
                RunEvents.triggered(trigger, "nightly", "test", SourceKind.CSV, "x.csv", "credit-g",
                        List.of(Stages.SWEEP, Stages.GATE), Map.of(GateDecider.PARAM_GRANT, "g-coord")),
                new RunEvent(others.causedBy(trigger, "published", 0), new DatasetPublished("file:/d/", "sha256:d",
                        Map.of(), Map.of(), List.of("f"), "class", "good")),
                new RunEvent(others.causedBy(trigger, "cell", 0), new CellCompleted("w", config, 0.48, 0.76, 12.5, 900L,
                        "file:/m/w", "sha256:w", List.of())),
                new RunEvent(others.causedBy(trigger, "finished", 0), SweepFinished.newBuilder().setOutcome(SweepOutcome.SUCCEEDED)
                        .setWinnerCellId("w").setWinnerCheckpoint("file:/m/w").setWinnerChecksum("sha256:w")
                        .setWinnerValidationLoss(0.48).setRankingRule("r").setCellsSucceeded(1).setCellsFailed(0)
                        .setCellsNotRun(0).build()),
                RunEvents.completed(others.causedBy(trigger, "sweep-done", 0), Stages.SWEEP, Map.of(), Map.of()));
    }

    static RunEvent answer(RunState s, String specialist, Verdict verdict) {
        return answer(s.runId(), s.gate().requested().get(specialist), specialist, verdict);
    }

    static RunEvent answer(String runId, String request, String specialist, Verdict verdict) {
        Envelope e = new Envelopes(specialist, specialist + "-1", Clock.fixed(T0, ZoneOffset.UTC)).envelope(
                "answer-" + request, runId, request, "g-coord", 2, 1, 10, null);
        return new RunEvent(e, new AssessmentReturned(specialist, verdict, specialist + " says " + verdict,
                Map.of("x", 1.0), Map.of("evidence", "e")));
    }

    RunState opened() {
        RunState s = sweptRun();
        assertTrue(GateDecider.readyToOpen(s));
        GateDecider.Outputs out = decider.open(s, POLICY, ALLOWED, T0);
        assertEquals(1 + Specialists.ALL.size(), out.runEvents().size());
        s = apply(s, out.runEvents());
        assertFalse(GateDecider.readyToOpen(s), "asked once");
        return s;
    }

    @Test
    void opensWithOneRequestPerSpecialistOneLevelBelowTheCoordinator() {
        RunState s = sweptRun();
        GateDecider.Outputs out = decider.open(s, POLICY, ALLOWED, T0);
        List<AssessmentRequested> requests = out.runEvents().stream().filter(e -> e.getPayload() instanceof AssessmentRequested)
                .map(e -> (AssessmentRequested) e.getPayload()).toList();
        assertEquals(Specialists.ALL, requests.stream().map(AssessmentRequested::getSpecialist).toList());
        assertEquals("file:/m/w", requests.get(0).getCandidate().getCheckpoint());
        assertEquals(12.5, requests.get(0).getCandidate().getInferenceLatencyMicros());
        assertEquals(T0.plus(POLICY.assessmentTimeout()), requests.get(0).getDeadline());
        out.runEvents().stream().filter(e -> e.getPayload() instanceof AssessmentRequested)
                .forEach(e -> assertEquals(2, e.getEnvelope().getDelegationDepth()));
        assertEquals(out.runEvents().stream().map(e -> e.getEnvelope().getEventId()).toList(),
                decider.open(s, POLICY, ALLOWED, T0.plusSeconds(5)).runEvents().stream().map(e -> e.getEnvelope().getEventId()).toList(),
                "a restarted coordinator sends the same event ids");
    }

    @Test
    void allApproveShipsAndTheDeploymentCompletesTheRun() {
        RunState s = opened();
        for (String sp : Specialists.ALL) {
            assertTrue(decider.next(s, POLICY, T0.plusSeconds(1)).runEvents().isEmpty(), "waits for every specialist");
            s = RunStateReducer.apply(s, answer(s, sp, sp.equals(Specialists.COST) ? Verdict.CONCERN : Verdict.APPROVE));
        }
        GateDecider.Outputs out = decider.next(s, POLICY, T0.plusSeconds(1));
        GateDecided decided = (GateDecided) out.runEvents().get(0).getPayload();
        assertEquals(Disposition.SHIP, decided.getDisposition());
        assertTrue(out.deploy().isPresent());
        s = apply(s, out.runEvents());
        s = apply(s, decider.deployed(s, out.deploy().get(), null));
        assertEquals(RunStatus.COMPLETED, s.status());
        assertEquals("file:/m/w", s.gate().deployment().checkpoint());
        assertEquals("coordinator", s.gate().deployment().decidedBy());
        assertTrue(decider.next(s, POLICY, T0.plusSeconds(2)).runEvents().isEmpty());
    }

    @Test
    void aBlockReturnsTheRunAndThePrincipalsApprovalShipsIt() {
        RunState s = opened();
        for (String sp : Specialists.ALL) {
            s = RunStateReducer.apply(s, answer(s, sp, sp.equals(Specialists.RISK_FAIRNESS) ? Verdict.BLOCK : Verdict.APPROVE));
        }
        GateDecider.Outputs opening = decider.next(s, POLICY, T0.plusSeconds(1));
        s = apply(s, opening.runEvents());
        s = apply(s, GateDebate.rules().run(opening.runEvents().get(0), new Envelopes("coordinator", "c-1"), SpendLimit.NONE));
        GateDecider.Outputs out = decider.next(s, POLICY, T0.plusSeconds(1));
        assertTrue(out.deploy().isEmpty());
        s = apply(s, out.runEvents());
        assertEquals(RunStatus.AWAITING_PRINCIPAL, s.status());
        assertEquals(List.of("risk-fairness blocks: risk-fairness says BLOCK"), s.gate().decision().conflicts());

        RunEvent approve = principal(s, PrincipalDecision.APPROVE);
        s = RunStateReducer.apply(s, approve);
        GateDecider.Outputs shipped = decider.principalDecided(s, POLICY, approve.getEnvelope().getEventId());
        assertTrue(shipped.deploy().isPresent());
        s = apply(s, decider.deployed(s, shipped.deploy().get(), "file:/m/old"));
        assertEquals(RunStatus.COMPLETED, s.status());
        assertEquals("alice", s.gate().deployment().decidedBy());
        assertEquals("file:/m/old", s.gate().deployment().previousCheckpoint());
        assertEquals(approve.getEnvelope().getEventId(), s.gate().acceptedPrincipalDecision().orElseThrow().getKey());
    }

    @Test
    void thePrincipalsRejectionFinishesTheRunRejected() {
        RunState s = opened();
        for (String sp : Specialists.ALL) {
            s = RunStateReducer.apply(s, answer(s, sp, Verdict.CONCERN));
        }
        s = apply(s, decider.next(s, POLICY, T0.plusSeconds(1)).runEvents());
        assertEquals(RunStatus.AWAITING_PRINCIPAL, s.status());
        assertTrue(s.gate().decision().conflicts().get(0).startsWith("4 concerns"), s.gate().decision().conflicts().toString());
        RunEvent reject = principal(s, PrincipalDecision.REJECT);
        s = RunStateReducer.apply(s, reject);
        s = apply(s, decider.principalDecided(s, POLICY, reject.getEnvelope().getEventId()).runEvents());
        assertEquals(RunStatus.REJECTED, s.status());
        assertTrue(s.stages().get(Stages.GATE).reason().startsWith("rejected by alice"));
    }

    @Test
    void aMissingAssessmentAtTheDeadlineIsFlaggedNeverApproved() {
        RunState s = opened();
        for (String sp : List.of(Specialists.MODEL_QUALITY, Specialists.RISK_FAIRNESS, Specialists.DEPLOYMENT_ENGINEER)) {
            s = RunStateReducer.apply(s, answer(s, sp, Verdict.APPROVE));
        }
        assertTrue(decider.next(s, POLICY, T0.plus(POLICY.assessmentTimeout()).minusMillis(1)).runEvents().isEmpty());
        GateDecider.Outputs out = decider.next(s, POLICY, T0.plus(POLICY.assessmentTimeout()));
        GateDecided decided = (GateDecided) out.runEvents().get(0).getPayload();
        assertEquals(Disposition.RETURN_TO_PRINCIPAL, decided.getDisposition());
        assertEquals(List.of(Specialists.COST), decided.getMissing());
        assertTrue(out.deploy().isEmpty());
        s = apply(s, out.runEvents());
        assertEquals(RunStatus.AWAITING_PRINCIPAL, s.status());
    }

    @Test
    void aRefusedGrantFailsTheGate() {
        RunState s = sweptRun();
        s = apply(s, decider.open(s, POLICY, new GateDecider.Authority("g-coord", 1, Decision.refused("revoked")), T0).runEvents());
        assertEquals(StageState.Status.FAILED, s.stages().get(Stages.GATE).status());
        assertEquals(RunStatus.FAILED, s.status());
    }

    @Test
    void theConflictRuleCountsConcerns() {
        GatePolicy.ReturnWhen rule = new GatePolicy.ReturnWhen(true, 2);
        assertEquals(Disposition.SHIP, GateDecider.verdicts(Map.of(), List.of(), rule).disposition());
        RunState s = opened();
        s = RunStateReducer.apply(s, answer(s, Specialists.COST, Verdict.CONCERN));
        s = RunStateReducer.apply(s, answer(s, Specialists.MODEL_QUALITY, Verdict.CONCERN));
        GateDecider.Verdicts v = GateDecider.verdicts(s.gate().assessments(), List.of(Specialists.COST, Specialists.MODEL_QUALITY), rule);
        assertEquals(Disposition.RETURN_TO_PRINCIPAL, v.disposition());
        assertEquals(Disposition.SHIP, GateDecider.verdicts(s.gate().assessments(),
                List.of(Specialists.COST, Specialists.MODEL_QUALITY), new GatePolicy.ReturnWhen(true, 3)).disposition());
    }

    static RunEvent principal(RunState s, PrincipalDecision decision) {
        Envelope e = new Envelopes("principal", "meshctl", Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC))
                .origin(s.runId(), "g-principal");
        return new RunEvent(e, new PrincipalDecided(decision, "alice", "looked at the numbers"));
    }

    @Test
    void policyLoadsAndValidates() {
        assertEquals(Specialists.ALL, POLICY.specialists());
        assertEquals(Duration.ofSeconds(60), POLICY.assessmentTimeout());
        assertEquals(Duration.ofSeconds(3), POLICY.withTimeout(Duration.ofSeconds(3)).assessmentTimeout());
    }


    @Test
    void aResumedGateAsksEverySpecialistAgainAndDecidesAfreshWhateverTheEarlierAttemptLeftBehind() {
        List<RunEvent> log = new java.util.ArrayList<>(sweptRunEvents());
        RunState s = apply(null, log);
        GateDecider.Outputs opened = decider.open(s, POLICY, ALLOWED, T0);
        log.addAll(opened.runEvents());
        s = apply(s, opened.runEvents());
        for (String sp : Specialists.ALL) {
            if (!sp.equals(Specialists.COST)) {
                s = RunStateReducer.apply(s, answer(s, sp, Verdict.APPROVE));
            }
        }
        s = apply(s, decider.next(s, POLICY, T0.plus(POLICY.assessmentTimeout()).plusSeconds(1)).runEvents());
        assertEquals(RunStatus.AWAITING_PRINCIPAL, s.status(), "cost never answered: flagged for a person");
        RunState flagged = s;

        // meshctl runs resume r1 --from gate: the sweep's completion again, as attempt 2
        RunEvent again = dev.agentmesh.core.RunResume.again(dev.agentmesh.core.RunResume.cause(s, log, Stages.GATE).orElseThrow(),
                dev.agentmesh.core.RunResume.nextAttempt(s, Stages.GATE), "ops");
        assertEquals(2, again.getEnvelope().getAttempt());
        s = RunStateReducer.apply(s, again);
        assertTrue(GateDecider.readyToOpen(s));
        GateDecider.Outputs reopened = decider.open(s, POLICY, ALLOWED, T0.plusSeconds(100));
        assertTrue(reopened.runEvents().stream().allMatch(e -> e.getEnvelope().getAttempt() == 2));
        s = apply(s, reopened.runEvents());
        assertFalse(GateDecider.readyToOpen(s), "asked once per attempt");
        assertEquals(2, s.gate().attempt());
        assertEquals(Specialists.ALL.size(), s.gate().requested().size());
        assertTrue(s.gate().assessments().isEmpty(), "a fresh trail");
        assertEquals(null, s.gate().decision());
        assertEquals(RunStatus.RUNNING, s.status());

        // Late news for attempt 1 changes nothing: cost's answer to the old request, a principal's approval of it.
        s = RunStateReducer.apply(s, answer("r1", flagged.gate().requested().get(Specialists.COST), Specialists.COST, Verdict.APPROVE));
        assertTrue(s.gate().assessments().isEmpty());

        for (String sp : Specialists.ALL) {
            s = RunStateReducer.apply(s, answer(s, sp, Verdict.APPROVE));
        }
        GateDecider.Outputs out = decider.next(s, POLICY, T0.plusSeconds(101));
        assertEquals(Disposition.SHIP, ((GateDecided) out.runEvents().get(0).getPayload()).getDisposition());
        assertEquals(2, out.runEvents().get(0).getEnvelope().getAttempt());
        s = apply(s, out.runEvents());
        s = apply(s, decider.deployed(s, out.deploy().orElseThrow(), null));
        assertEquals(RunStatus.COMPLETED, s.status());
        assertEquals(2, s.stages().get(Stages.GATE).attempt());
        assertEquals("file:/m/w", s.gate().deployment().checkpoint());
    }
}
