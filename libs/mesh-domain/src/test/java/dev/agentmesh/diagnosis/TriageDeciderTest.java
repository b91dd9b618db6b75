package dev.agentmesh.diagnosis;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.RowValidationAgent;
import dev.agentmesh.contract.SourcePolicy;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.gate.DelegationRefused;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunStalled;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.TriageState;
import dev.agentmesh.sweep.CellConfig;
import dev.agentmesh.sweep.CellDispatched;
import dev.agentmesh.sweep.CellFailed;
import dev.agentmesh.sweep.SweepPlanned;
import dev.agentmesh.triage.AccessFinding;
import dev.agentmesh.triage.DataFinding;
import dev.agentmesh.triage.InvestigationRequested;
import dev.agentmesh.triage.InvestigationReturned;
import dev.agentmesh.triage.RemediationKind;
import dev.agentmesh.triage.RunDiagnosed;
import dev.agentmesh.triage.TrainingFinding;
import dev.agentmesh.triage.TriageOpened;
import dev.agentmesh.triage.TriageRequested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class TriageDeciderTest {

    static final String RUN = "run-t";
    static final Instant T0 = Instant.parse("2026-12-01T02:00:00Z");
    static final TriagePolicy POLICY = new TriagePolicy(Duration.ofSeconds(30), 4);
    static final TriageDecider.Authority ALLOWED = new TriageDecider.Authority(Decision.ALLOWED, 3);

    final Envelopes cli = new Envelopes("meshctl", "cli", Clock.fixed(T0, ZoneOffset.UTC));
    final Envelopes agent = new Envelopes("row-validator", "rv-1", Clock.fixed(T0.plusSeconds(1), ZoneOffset.UTC));
    final TriageDecider decider = new TriageDecider(new Envelopes(TriageDecider.ROLE, "triage-1",
            Clock.fixed(T0.plusSeconds(2), ZoneOffset.UTC)));
    final Envelope trigger = cli.origin(RUN, "run-grant");

    RunEvent triggered(List<String> plan, SourceKind kind, String location) {
        return RunEvents.triggered(trigger, "nightly", "alice", kind, location, "credit-g", plan,
                Map.of(TriageDecider.PARAM_GRANT, "triage-grant"));
    }

    RunEvent failed(String stage, String reason) {
        return RunEvents.failed(agent.causedBy(trigger, "finished-" + stage, 0), stage, reason, false);
    }

    static RunState fold(List<RunEvent> events) {
        RunState state = null;
        for (RunEvent e : events) {
            state = RunStateReducer.apply(state, e);
        }
        return state;
    }

    static RunState fold(RunState state, List<RunEvent> events) {
        for (RunEvent e : events) {
            state = RunStateReducer.apply(state, e);
        }
        return state;
    }

    List<RunEvent> badData() {
        return List.of(triggered(Stages.INGEST, SourceKind.CSV, "credit-g.csv"),
                failed(Stages.ROW_VALIDATION, "120 of 1000 rows (12.0%) broke data contract credit-g, over its limit of"
                        + " 5.0%; rejected by column: age 100, duration 20"));
    }

    @Test
    void aFailedRunUnderATriageGrantOpensOneTriageRoutedByItsFailureClass() {
        RunState state = fold(badData());
        assertEquals(List.of(FailureClass.DATA), TriageClassifier.classify(state));
        TriageDecider.Cause cause = TriageDecider.automatic(state).orElseThrow();
        assertEquals(state.stages().get(Stages.ROW_VALIDATION).decidingEventId(), cause.eventId());
        assertEquals("triage-grant", cause.grantId());

        List<RunEvent> out = decider.open(state, cause, ALLOWED, POLICY, T0.plusSeconds(2));
        TriageOpened opened = (TriageOpened) out.get(0).getPayload();
        assertEquals(List.of("DATA"), opened.getClasses());
        assertEquals(List.of(FailureClass.Investigators.DATA), opened.getInvestigators());
        assertEquals(T0.plusSeconds(32), opened.getDeadline());
        assertEquals(1, out.get(0).getEnvelope().getDelegationDepth(), "the supervisor acts one level below its grant");
        InvestigationRequested asked = (InvestigationRequested) out.get(1).getPayload();
        assertEquals(FailureClass.Investigators.DATA, asked.getInvestigator());
        assertEquals(2, out.get(1).getEnvelope().getDelegationDepth(), "and delegates one level further");
        assertEquals("triage-grant", out.get(1).getEnvelope().getGrantId());
        assertEquals(2, out.size());

        RunState after = fold(state, out);
        assertTrue(TriageDecider.automatic(after).isEmpty(), "one triage per failure");
        assertEquals(out, decider.open(state, cause, ALLOWED, POLICY, T0.plusSeconds(2)), "the same ids again after a restart");
    }

    @Test
    void aRunWithoutATriageGrantIsNotTriagedOnItsOwn() {
        RunEvent t = RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "x.csv", "credit-g", Stages.INGEST, Map.of());
        assertTrue(TriageDecider.automatic(fold(List.of(t, failed(Stages.ROW_VALIDATION, "boom")))).isEmpty());
    }

    @Test
    void anInvestigatorThatDoesNotAnswerByTheDeadlineIsReportedMissingNeverGuessed() {
        RunState state = fold(badData());
        state = fold(state, decider.open(state, TriageDecider.automatic(state).orElseThrow(), ALLOWED, POLICY, T0.plusSeconds(2)));
        assertEquals(List.of(), decider.next(state, T0.plusSeconds(31)), "before the deadline it waits");
        List<RunEvent> out = decider.next(state, T0.plusSeconds(33));
        RunDiagnosed diagnosed = (RunDiagnosed) out.get(0).getPayload();
        assertEquals(List.of(FailureClass.Investigators.DATA), diagnosed.getMissing());
        assertEquals(List.of(), diagnosed.getAnswered());
        assertTrue(diagnosed.getSummary().contains("triage-data: MISSING"), diagnosed.getSummary());
        assertEquals(RemediationKind.CONTRACT_CHANGE, diagnosed.getRemediation().getKind());
        RunState done = fold(state, out);
        assertEquals(List.of(), decider.next(done, T0.plusSeconds(60)), "diagnosed once");
        assertEquals(RunStatus.FAILED, done.status(), "triage changes nothing of the run's own status");
    }

    @Test
    void whenEveryInvestigatorAnsweredTheSynthesisMergesTheFindingsAtOnce() {
        RunState state = fold(badData());
        List<RunEvent> opened = decider.open(state, TriageDecider.automatic(state).orElseThrow(), ALLOWED, POLICY, T0.plusSeconds(2));
        state = fold(state, opened);
        Envelopes investigator = new Envelopes(FailureClass.Investigators.DATA, "triage-1", Clock.fixed(T0.plusSeconds(3), ZoneOffset.UTC));
        String triageId = ((TriageOpened) opened.get(0).getPayload()).getTriageId();
        RunEvent answer = new RunEvent(investigator.causedBy(opened.get(1).getEnvelope(), "finding", 4),
                new InvestigationReturned(triageId, FailureClass.Investigators.DATA, "DATA", "120 of 1000 rows break it",
                        new DataFinding(1000L, 120L, Map.of("age", 100L, "duration", 20L), List.of("t/row-3"), List.of("rows [3]"))));
        state = fold(state, List.of(answer));
        RunDiagnosed diagnosed = (RunDiagnosed) decider.next(state, T0.plusSeconds(4)).get(0).getPayload();
        assertEquals(List.of(), diagnosed.getMissing());
        assertEquals(List.of(FailureClass.Investigators.DATA), diagnosed.getAnswered());
        assertTrue(diagnosed.getRemediation().getDescription().contains("age (100 rows), duration (20 rows)"),
                diagnosed.getRemediation().getDescription());
        assertEquals("meshctl runs resume " + RUN + " --from row-validation", diagnosed.getRemediation().getCommand());

        TriageState.Finding kept = state.triage().currentFindings().get(0);
        assertEquals(100L, kept.data().rejectedByColumn().get("age"));
        assertEquals(state, RunStateJson.fromStoreBytes(RunStateJson.toStoreBytes(state)), "the store keeps the triage");
        assertEquals(state, RunStateJson.fromBytes(RunStateJson.toBytes(state)));
    }

    @Test
    void aRequestPastTheGrantsDepthIsRefusedWithoutAnyInvestigation() {
        List<RunEvent> events = new ArrayList<>(badData());
        Envelope deep = Envelope.newBuilder(cli.origin(RUN, "triage-grant")).setDelegationDepth(2).build();
        events.add(new RunEvent(deep, new TriageRequested("bob", null)));
        RunState state = fold(events);
        TriageDecider.Cause cause = TriageDecider.requested(state).orElseThrow();
        assertEquals(2, cause.depth());
        List<RunEvent> out = decider.open(state, cause, new TriageDecider.Authority(Decision.refused(
                Decision.Refusal.OVER_DEPTH, "over depth: action at delegation depth 4 exceeds max depth 3"), 3), POLICY, T0);
        assertEquals(1, out.size());
        DelegationRefused refused = (DelegationRefused) out.get(0).getPayload();
        assertEquals(deep.getEventId(), refused.getRefusedEventId());
        assertTrue(refused.getReason().contains("over depth"), refused.getReason());
        RunState after = fold(state, out);
        assertTrue(TriageDecider.requested(after).isEmpty(), "a refused request is not pending any more");
        assertNull(after.gate(), "a triage refusal is not the gate's");
        assertEquals(1, after.triage().refusals().size());
    }

    @Test
    void theStepLimitCapsHowManyInvestigationsOneTriageDelegates() {
        List<RunEvent> events = new ArrayList<>(List.of(triggered(Stages.INGEST_AND_TRAIN, SourceKind.CSV, "x.csv")));
        events.add(failed(Stages.SWEEP, "sweep failed: every cell diverged or timed out"));
        RunState state = fold(events);
        List<FailureClass> classes = TriageClassifier.classify(state);
        assertTrue(classes.contains(FailureClass.TRAINING) && classes.contains(FailureClass.INFRASTRUCTURE), classes.toString());
        List<RunEvent> out = decider.open(state, TriageDecider.automatic(state).orElseThrow(), ALLOWED,
                new TriagePolicy(Duration.ofSeconds(5), 1), T0);
        assertEquals(2, out.size(), "opened, and one investigation: " + out);
    }

    @Test
    void aStalledRunIsAnInfrastructureTriageProposingAResume() {
        List<RunEvent> events = new ArrayList<>(List.of(triggered(Stages.INGEST, SourceKind.CSV, "x.csv")));
        events.add(new RunEvent(agent.causedBy(trigger, "stalled", 0), new RunStalled(Stages.FEATURE_EXTRACTION,
                "no progress for 60 s", 60_000L, T0)));
        RunState state = fold(events);
        assertEquals(RunStatus.STALLED, state.status());
        List<RunEvent> out = decider.open(state, TriageDecider.automatic(state).orElseThrow(), ALLOWED, POLICY, T0);
        RunState opened = fold(state, out);
        assertEquals(RunStatus.STALLED, opened.status(), "triage events are not progress: the stall stays");
        assertEquals(state.lastEventAt(), opened.lastEventAt());
        RunDiagnosed d = (RunDiagnosed) decider.next(opened, T0.plusSeconds(60)).get(0).getPayload();
        assertEquals(RemediationKind.RESUME, d.getRemediation().getKind());
        assertEquals("meshctl runs resume " + RUN + " --from feature-extraction", d.getRemediation().getCommand());
    }

    @Test
    void theTriageFoldIsOrderIndependentAndIdempotent() {
        RunState state = fold(badData());
        List<RunEvent> all = new ArrayList<>(badData());
        List<RunEvent> opened = decider.open(state, TriageDecider.automatic(state).orElseThrow(), ALLOWED, POLICY, T0);
        all.addAll(opened);
        all.addAll(decider.next(fold(state, opened), T0.plusSeconds(40)));
        RunState expected = fold(all);
        for (int seed = 0; seed < 20; seed++) {
            List<RunEvent> shuffled = new ArrayList<>(all);
            shuffled.addAll(all.subList(0, seed % all.size()));
            Collections.shuffle(shuffled, new Random(seed));
            assertEquals(expected, fold(shuffled));
        }
    }

    @Test
    void theDataInvestigatorChecksTheSourceAgainAndNamesColumnsCountsAndSampleRows(@TempDir Path dir) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"), "credit-g.csv"));
        List<String> bad = new ArrayList<>(lines.subList(0, 201));
        int ageColumn = List.of(bad.get(0).split(",")).indexOf("age");
        for (int i = 1; i <= 30; i++) {
            String[] cells = bad.get(i * 5).split(",", -1);
            cells[ageColumn] = "7";
            bad.set(i * 5, String.join(",", cells));
        }
        Path csv = dir.resolve("bad.csv");
        Files.write(csv, bad);
        RunEvent t = triggered(Stages.INGEST, SourceKind.CSV, csv.toString());
        RunState state = fold(List.of(t, failed(Stages.ROW_VALIDATION, "30 of 200 rows (15.0%) broke data contract credit-g")));
        Investigations.Found found = Investigations.data(state, t,
                new RowValidationAgent(new Envelopes(FailureClass.Investigators.DATA, "i"), SourcePolicy.anywhere()));
        DataFinding data = (DataFinding) found.finding();
        assertEquals(200, data.getRowsIn());
        assertEquals(30, data.getRowsRejected());
        assertEquals(Map.of("age", 30L), data.getRejectedByColumn());
        assertEquals(Investigations.SAMPLE_ROWS, data.getSampleRows().size());
        assertEquals(trigger.getEventId() + "/row-4", data.getSampleRows().get(0), "row ids as the mesh names rows");
        assertTrue(found.summary().startsWith("30 of 200 rows break contract credit-g; by column: age 30"), found.summary());
        assertFalse(found.summary().contains("7,") || data.getEvidence().toString().contains(",7,"),
                "no value of a sensitive column (age) is quoted");
    }

    @Test
    void theTrainingInvestigatorNamesTheDivergedCellsWithTheirHyperParameters() {
        List<RunEvent> events = new ArrayList<>(List.of(triggered(Stages.INGEST_AND_TRAIN, SourceKind.CSV, "x.csv")));
        Envelopes orchestrator = new Envelopes("sweep-orchestrator", "so-1", Clock.fixed(T0.plusSeconds(1), ZoneOffset.UTC));
        Envelopes trainer = new Envelopes("trainer", "tr-1", Clock.fixed(T0.plusSeconds(2), ZoneOffset.UTC));
        CellConfig big = new CellConfig("lr-huge", "logistic", "logistic", 0, 1.0e300, 32, 5, 42L, List.of(), null);
        events.add(new RunEvent(orchestrator.causedBy(trigger, "p1", 0), new SweepPlanned("g", List.of(big), Map.of(),
                "lowest validation loss", null, null)));
        RunEvent dispatched = new RunEvent(orchestrator.causedBy(trigger, "d1", 0), new CellDispatched("lr-huge", "task-1"));
        events.add(dispatched);
        events.add(new RunEvent(trainer.causedBy(dispatched.getEnvelope(), "f1", 0), new CellFailed("lr-huge",
                "diverged: the model's scores are not finite numbers (learning rate 1.0E300)", false, false, "train")));
        events.add(failed(Stages.SWEEP, "no cell succeeded"));
        RunState state = fold(events);
        assertTrue(TriageClassifier.classify(state).contains(FailureClass.TRAINING));
        Investigations.Found found = Investigations.training(state);
        TrainingFinding training = (TrainingFinding) found.finding();
        assertEquals(1, training.getFailed().size());
        var cell = training.getFailed().get(0);
        assertEquals("lr-huge", cell.getCellId());
        assertEquals(1.0e300, cell.getLearningRate());
        assertEquals(32, cell.getBatchSize());
        assertEquals(5, cell.getEpochs());
        assertEquals("train", cell.getStep());
        assertTrue(found.summary().contains("1 diverged"), found.summary());
    }

    @Test
    void theAccessInvestigatorNamesTheGrantThatRefusedAndWhy() {
        RunState state = fold(List.of(triggered(Stages.INGEST, SourceKind.CSV, "x.csv"),
                failed(Stages.ROW_VALIDATION, "unauthorised: grant g-42 expired at 2026-12-01T01:00:00Z")));
        assertEquals(FailureClass.AUTHORISATION, TriageClassifier.classify(state).get(0));
        Investigations.Found found = Investigations.access(state);
        var refusal = ((AccessFinding) found.finding()).getRefusals().get(0);
        assertEquals("g-42", refusal.getGrantId());
        assertEquals("stage row-validation", refusal.getWhat());
        assertTrue(refusal.getEvidence().startsWith("event "), refusal.getEvidence());
    }

    @Test
    void aPolicyNeedsATimeAndAStep() {
        assertThrows(IllegalArgumentException.class, () -> new TriagePolicy(Duration.ZERO, 1));
        assertThrows(IllegalArgumentException.class, () -> new TriagePolicy(Duration.ofSeconds(1), 0));
    }
}
