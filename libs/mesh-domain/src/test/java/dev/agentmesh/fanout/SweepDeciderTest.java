package dev.agentmesh.fanout;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.run.DatasetPublished;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.SweepState.CellStatus;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellFailed;
import dev.agentmesh.sweep.CellStarted;
import dev.agentmesh.sweep.CellTask;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.sweep.SweepOutcome;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

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

/** The orchestrator's decisions without Kafka: the test plays the trainer pool. */
class SweepDeciderTest {

    static final Instant T0 = Instant.parse("2026-11-23T02:00:00Z");
    static final Authority_ OK = new Authority_(null);

    /** Shorthand for an authority with an optional budget. */
    record Authority_(Long budget) {
        SweepDecider.Authority get() {
            return new SweepDecider.Authority("sweep-grant", 1, Decision.ALLOWED, budget);
        }
    }

    /** A run that is ready to plan: triggered with the sweep in its plan, and its dataset announced. */
    static List<RunEvent> ready(String runId) {
        Envelope trigger = new Envelopes("meshctl", "cli", Clock.fixed(T0, ZoneOffset.UTC)).origin(runId, "op-grant");
        return List.of(RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "x.csv",
                "credit-g", List.of(Stages.SWEEP), Map.of()), new RunEvent(new Envelopes("publisher", "p",
                Clock.fixed(T0, ZoneOffset.UTC)).causedBy(trigger, "published", 0),
                new DatasetPublished("file:/d/", "sha256:ab", Map.of("train", "file:/d/train.avro",
                        "validation", "file:/d/validation.avro", "test", "file:/d/test.avro"), Map.of("train", 7L),
                        List.of("f1", "f2"), "class", "good")));
    }

    static SweepGrid grid(String policy) {
        return SweepGrid.read(new java.io.ByteArrayInputStream(("name: t\narchitectures: [{name: logistic, kind: logistic},"
                + " {name: fm, kind: factorization-machine, factors: 4}]\nlearning_rates: [0.01, 0.1]\nbatch_sizes: [16, 64]\n"
                + "epochs: 3\nseed: 42\npolicy: " + policy + "\n").getBytes()));
    }

    static final String GATHER = "{max_concurrency: 3, cell_timeout: PT10S, max_attempts: 2, min_successes: 4,"
            + " on_partial: rank_available, mode: gather, cell_cost_estimate_ms: 100}";

    /** Plays a sweep: the decider and a trainer pool that finishes every task at once with {@code loss(cell)}. */
    static final class Sim {
        final SweepDecider decider = new SweepDecider("sweep-orchestrator", "o-1", Clock.fixed(T0, ZoneOffset.UTC));
        final Envelopes trainer = new Envelopes("trainer", "t-1", Clock.fixed(T0.plusSeconds(1), ZoneOffset.UTC));
        final List<RunEvent> log = new ArrayList<>();
        final List<CellTask> tasks = new ArrayList<>();
        final List<SweepDecider.Outputs> outputs = new ArrayList<>();
        RunState state;

        Sim(SweepGrid grid, SweepDecider.Authority authority) {
            this(ready("run-1"), grid, authority);
        }

        Sim(List<RunEvent> before, SweepGrid grid, SweepDecider.Authority authority) {
            before.forEach(this::fold);
            apply(decider.plan(state, grid, authority, "trainer-grant"));
        }

        SweepDecider.Outputs next(SweepDecider.Authority authority, Instant now) {
            SweepDecider.Outputs out = decider.next(state, authority, now);
            apply(out);
            return out;
        }

        void apply(SweepDecider.Outputs out) {
            outputs.add(out);
            tasks.addAll(out.tasks());
            out.runEvents().forEach(this::fold);
        }

        void fold(RunEvent e) {
            log.add(e);
            state = RunStateReducer.apply(state, e);
        }

        void start(CellTask task) {
            fold(new RunEvent(trainer.causedBy(task.getEnvelope(), "started", 0), new CellStarted(task.getConfig().getCellId())));
        }

        void complete(CellTask task, double loss, double latency, long trainMs) {
            start(task);
            fold(new RunEvent(trainer.causedBy(task.getEnvelope(), "completed", trainMs), new CellCompleted(
                    task.getConfig().getCellId(), task.getConfig(), loss, 0.7, latency, trainMs, "file:/m/" +
                    task.getConfig().getCellId(), "sha256:" + task.getConfig().getCellId(), List.of())));
        }

        void fail(CellTask task, String reason, boolean retryable) {
            start(task);
            fold(new RunEvent(trainer.causedBy(task.getEnvelope(), "failed", 5), new CellFailed(
                    task.getConfig().getCellId(), reason, false, retryable, null)));
        }

        /** Runs the sweep to the end, answering every task as {@code answer} says. */
        void runAll(java.util.function.Consumer<CellTask> answer, SweepDecider.Authority authority) {
            for (int round = 0; round < 100 && !state.sweep().finished(); round++) {
                List<CellTask> open = new ArrayList<>(next(authority, T0.plusSeconds(2)).tasks());
                open.forEach(answer);
            }
        }

        SweepFinished finished() {
            return log.stream().map(RunEvent::getPayload).filter(SweepFinished.class::isInstance)
                    .map(SweepFinished.class::cast).findFirst().orElseThrow();
        }
    }


    @Test
    void planningRecordsEveryCellThePolicyAndTheRankingRule() {
        Sim sim = new Sim(grid(GATHER), OK.get());
        assertEquals(8, sim.state.sweep().cells().size());
        assertTrue(sim.state.sweep().cells().values().stream().allMatch(c -> c.status() == CellStatus.PENDING));
        assertEquals(Ranking.RULE, sim.state.sweep().rankingRule());
        assertEquals("3", sim.state.sweep().policy().get("max_concurrency"));
        assertEquals("trainer-grant", sim.state.sweep().trainerGrantId());
        assertEquals(StageStartedOf(sim), Stages.SWEEP);
        assertFalse(SweepDecider.readyToPlan(sim.state), "planned once");
    }

    static String StageStartedOf(Sim sim) {
        return ((dev.agentmesh.run.StageStarted) sim.log.stream().map(RunEvent::getPayload)
                .filter(dev.agentmesh.run.StageStarted.class::isInstance).findFirst().orElseThrow()).getStage();
    }

    @Test
    void dispatchRespectsMaxConcurrencyAndTasksCarryTheCellsConfigAndTheTrainerGrant() {
        Sim sim = new Sim(grid(GATHER), OK.get());
        SweepDecider.Outputs first = sim.next(OK.get(), T0.plusSeconds(1));
        assertEquals(3, first.tasks().size(), "max_concurrency");
        assertTrue(sim.next(OK.get(), T0.plusSeconds(1)).isEmpty(), "nothing more until a cell finishes");
        CellTask task = first.tasks().get(0);
        assertEquals("trainer-grant", task.getEnvelope().getGrantId());
        assertEquals(2, task.getEnvelope().getDelegationDepth(), "one below the sweep grant");
        assertEquals(1, task.getEnvelope().getAttempt());
        assertEquals("file:/d/train.avro", task.getTrainSplit());
        assertEquals(Duration.ofSeconds(10).toMillis(), task.getTimeoutMs());
        sim.complete(task, 0.5, 3.0, 50);
        assertEquals(1, sim.next(OK.get(), T0.plusSeconds(2)).tasks().size(), "one slot freed, one dispatched");
    }

    @Test
    void gatherRanksOnValidationLossThenLatencyAndPublishesTheWinner() {
        Sim sim = new Sim(grid(GATHER), OK.get());
        sim.runAll(t -> sim.complete(t, t.getConfig().getCellId().startsWith("fm-lr0.1") ? 0.40 : 0.55,
                t.getConfig().getBatchSize() == 64 ? 2.0 : 9.0, 40), OK.get());
        SweepFinished f = sim.finished();
        assertEquals(SweepOutcome.SUCCEEDED, f.getOutcome());
        assertEquals("fm-lr0.1-b64", f.getWinnerCellId(), "lowest loss, tie broken by lower latency");
        assertEquals(List.of("fm-lr0.1-b64", "fm-lr0.1-b16"), f.getRanking().subList(0, 2));
        assertEquals(8, f.getCellsSucceeded());
        assertEquals(RunStatus.COMPLETED, sim.state.status());
        StageCompleted stage = sim.log.stream().map(RunEvent::getPayload).filter(StageCompleted.class::isInstance)
                .map(StageCompleted.class::cast).findFirst().orElseThrow();
        assertEquals("fm-lr0.1-b64", stage.getAudit().get("winner.cell"));
        assertEquals(8L, stage.getCounts().get("cells.succeeded"));
    }

    @Test
    void deciding_again_on_the_same_state_repeats_the_same_event_ids() {
        Sim sim = new Sim(grid(GATHER), OK.get());
        RunState before = sim.state;
        SweepDecider.Outputs a = sim.decider.next(before, OK.get(), T0.plusSeconds(1));
        SweepDecider.Outputs b = new SweepDecider("sweep-orchestrator", "o-2", Clock.systemUTC()).next(before, OK.get(), T0.plusSeconds(1));
        assertEquals(a.runEvents().stream().map(e -> e.getEnvelope().getEventId()).toList(),
                b.runEvents().stream().map(e -> e.getEnvelope().getEventId()).toList(),
                "a restarted orchestrator re-sends the same events, which the fold absorbs");
        assertEquals(a.tasks().stream().map(t -> t.getEnvelope().getEventId()).toList(),
                b.tasks().stream().map(t -> t.getEnvelope().getEventId()).toList());
    }

    @Test
    void aSilentRunningCellTimesOutIsRetriedAndCountedOnceWhenBothAttemptsReport() {
        Sim sim = new Sim(grid(GATHER), OK.get());
        CellTask first = sim.next(OK.get(), T0.plusSeconds(1)).tasks().get(0);
        String cell = first.getConfig().getCellId();
        sim.start(first);
        SweepDecider.Outputs late = sim.next(OK.get(), T0.plusSeconds(1 + 10 + 4));
        CellFailed timeout = (CellFailed) late.runEvents().get(0).getPayload();
        assertTrue(timeout.getTimedOut() && timeout.getRetryable(), timeout.toString());
        assertEquals(Map.of(cell, 1), late.controls().get(0).getCells(), "attempt 1 is cancelled on the trainers");
        CellTask retry = late.tasks().stream().filter(t -> t.getConfig().getCellId().equals(cell)).findFirst().orElseThrow();
        assertEquals(2, retry.getEnvelope().getAttempt());
        assertNotEquals(first.getEnvelope().getEventId(), retry.getEnvelope().getEventId());
        sim.complete(retry, 0.5, 1, 30);
        sim.complete(first, 0.5, 1, 30);
        assertEquals(CellStatus.SUCCEEDED, sim.state.sweep().cells().get(cell).status());
        assertEquals(2, sim.state.sweep().cells().get(cell).completions(), "both attempts reported");
        assertEquals(1, sim.state.sweep().cells().get(cell).attempt(), "the lowest successful attempt decides");
        assertEquals(1, sim.state.sweep().count(CellStatus.SUCCEEDED), "and the cell counts once");
    }

    @Test
    void failedCellsGiveAPartialSuccessUnderRankAvailableAndAFailureUnderFail() {
        for (String onPartial : List.of("rank_available", "fail")) {
            Sim sim = new Sim(grid(GATHER.replace("min_successes: 4", "min_successes: 2").replace("rank_available", onPartial)), OK.get());
            sim.runAll(t -> {
                if (t.getConfig().getCellId().startsWith("fm")) {
                    sim.fail(t, "diverged: scores are not finite", false);
                } else {
                    sim.complete(t, 0.5, 1, 10);
                }
            }, OK.get());
            SweepFinished f = sim.finished();
            assertEquals(4, f.getCellsSucceeded());
            assertEquals(4, f.getCellsFailed());
            assertEquals(4, f.getFailures().size());
            assertTrue(f.getFailures().values().stream().allMatch(r -> r.contains("diverged")), f.getFailures().toString());
            if (onPartial.equals("fail")) {
                assertEquals(SweepOutcome.FAILED, f.getOutcome());
                assertNull(f.getWinnerCellId());
                assertEquals(RunStatus.FAILED, sim.state.status());
            } else {
                assertEquals(SweepOutcome.PARTIAL, f.getOutcome());
                assertNotNull(f.getWinnerCellId());
                assertEquals(RunStatus.COMPLETED, sim.state.status());
            }
        }
    }

    @Test
    void raceStopsAtTheFirstCellMeetingTheTargetAndCancelsTheOthers() {
        Sim sim = new Sim(grid(GATHER.replace("mode: gather", "mode: race, target_validation_loss: 0.45")), OK.get());
        List<CellTask> open = sim.next(OK.get(), T0.plusSeconds(1)).tasks();
        sim.complete(open.get(0), 0.60, 1, 10);
        sim.next(OK.get(), T0.plusSeconds(1));
        sim.complete(open.get(1), 0.44, 1, 10);
        SweepDecider.Outputs end = sim.next(OK.get(), T0.plusSeconds(2));
        SweepFinished f = sim.finished();
        assertEquals(SweepOutcome.SUCCEEDED, f.getOutcome());
        assertEquals(open.get(1).getConfig().getCellId(), f.getWinnerCellId());
        assertTrue(f.getDispatchStopped().startsWith("race won by"), f.getDispatchStopped());
        assertFalse(end.controls().get(0).getAllCells(), "cells in flight are cancelled by name and attempt");
        assertEquals(Map.of(open.get(2).getConfig().getCellId(), 1), Map.of(open.get(2).getConfig().getCellId(),
                end.controls().get(0).getCells().get(open.get(2).getConfig().getCellId())));
        assertEquals(2, end.controls().get(0).getCells().size(), "the third first task and the one dispatched later");
        assertEquals(8 - 4, f.getCellsNotRun(), "three dispatched at first, one more after the first result");
    }

    @Test
    void aBudgetTooSmallStopsDispatchAndSaysWhy() {
        SweepDecider.Authority budgeted = new Authority_(250L).get();
        Sim sim = new Sim(grid(GATHER), budgeted);
        List<CellTask> first = sim.next(budgeted, T0.plusSeconds(1)).tasks();
        assertEquals(2, first.size(), "0 + 2 x 100 fits in 250, a third would not");
        first.forEach(t -> sim.complete(t, 0.5, 1, 120));
        sim.runAll(t -> sim.complete(t, 0.5, 1, 120), budgeted);
        SweepFinished f = sim.finished();
        assertTrue(f.getDispatchStopped().startsWith("budget: dispatch stopped with 240 of 250 compute ms spent"),
                f.getDispatchStopped());
        assertEquals(6, f.getCellsNotRun());
        assertEquals(240, sim.state.sweep().spentComputeMs());
        assertTrue(f.getFailures().values().stream().allMatch(r -> r.startsWith("not run: budget")));
    }

    @Test
    void aRevokedGrantEndsTheSweepRevokedAndCancelsWhatIsInFlight() {
        Sim sim = new Sim(grid(GATHER), OK.get());
        List<CellTask> open = sim.next(OK.get(), T0.plusSeconds(1)).tasks();
        sim.complete(open.get(0), 0.5, 1, 10);
        SweepDecider.Authority revoked = new SweepDecider.Authority("sweep-grant", 1,
                Decision.refused(Decision.Refusal.REVOKED, "grant revoked: grant sweep-grant: stop (by principal)"), null);
        SweepDecider.Outputs end = sim.next(revoked, T0.plusSeconds(2));
        assertTrue(end.tasks().isEmpty(), "nothing dispatched under a revoked grant");
        assertEquals(Map.of(open.get(1).getConfig().getCellId(), 1, open.get(2).getConfig().getCellId(), 1),
                end.controls().get(0).getCells(), "the two cells in flight");
        assertEquals(SweepOutcome.REVOKED, sim.finished().getOutcome());
        assertEquals(RunStatus.REVOKED, sim.state.status());
        StageFailed failed = (StageFailed) end.runEvents().get(1).getPayload();
        assertTrue(failed.getReason().startsWith("revoked: grant revoked"), failed.getReason());
    }

    @Property(tries = 200, seed = "20261123")
    void aSweepsEventsFoldToTheSameStateInAnyOrderWithAnyDuplicates(@ForAll long seed,
                                                                     @ForAll @Size(max = 12) List<Integer> duplicates) {
        Sim sim = new Sim(grid(GATHER), OK.get());
        sim.runAll(t -> {
            if (t.getConfig().getCellId().equals("fm-lr0.1-b16") && t.getEnvelope().getAttempt() == 1) {
                sim.fail(t, "crashed", true);
            } else {
                sim.complete(t, 0.5 + t.getConfig().getLearningRate(), 1, 10);
            }
        }, OK.get());
        List<RunEvent> events = new ArrayList<>(sim.log);
        for (int d : duplicates) {
            events.add(events.get(Math.floorMod(d, events.size())));
        }
        Collections.shuffle(events, new Random(seed));
        RunState shuffled = null;
        for (RunEvent e : events) {
            shuffled = RunStateReducer.apply(shuffled, e);
        }
        assertEquals(new String(RunStateJson.toBytes(sim.state)), new String(RunStateJson.toBytes(shuffled)));
        assertEquals(2, sim.state.sweep().cells().get("fm-lr0.1-b16").attempt());
    }

    /** A run whose plan is publish then sweep: triggered, its dataset announced, the publish stage completed. */
    static List<RunEvent> published(String runId) {
        Envelope trigger = new Envelopes("meshctl", "cli", Clock.fixed(T0, ZoneOffset.UTC)).origin(runId, "op-grant");
        Envelopes publisher = new Envelopes("publisher", "p", Clock.fixed(T0, ZoneOffset.UTC));
        return List.of(RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "x.csv", "credit-g",
                        List.of(Stages.PUBLISH, Stages.SWEEP), Map.of()),
                new RunEvent(publisher.causedBy(trigger, "published", 0), new DatasetPublished("file:/d/", "sha256:ab",
                        Map.of("train", "file:/d/train.avro", "validation", "file:/d/validation.avro", "test", "file:/d/test.avro"),
                        Map.of("train", 7L), List.of("f1", "f2"), "class", "good")),
                RunEvents.completed(publisher.causedBy(trigger, "finished", 0), Stages.PUBLISH, Map.of(), Map.of()));
    }

    @Test
    void aResumedSweepKeepsTheCellsThatSucceededAndRunsTheOthersAgainAsItsNextAttempt() {
        Sim sim = new Sim(published("run-r"), grid(GATHER), OK.get());
        java.util.Set<String> failing = new java.util.HashSet<>();
        List<CellTask> firstPlanTasks = new ArrayList<>();
        sim.runAll(t -> {
            firstPlanTasks.add(t);
            if (failing.size() < 5 && !failing.contains(t.getConfig().getCellId())) {
                failing.add(t.getConfig().getCellId());
                sim.fail(t, "trainer crashed", false);
            } else {
                sim.complete(t, 0.5, 1, 10);
            }
        }, OK.get());
        assertEquals(SweepOutcome.FAILED, sim.finished().getOutcome(), "3 of 8 succeeded, min_successes 4");
        assertEquals(RunStatus.FAILED, sim.state.status());
        assertFalse(SweepDecider.readyToPlan(sim.state), "a failed sweep is not planned again by itself");
        String firstPlan = sim.state.sweep().plannedBy();

        // meshctl runs resume run-r --from sweep: the publish stage's completion again, as attempt 2
        RunEvent again = dev.agentmesh.core.RunResume.again(dev.agentmesh.core.RunResume.cause(sim.state, sim.log, Stages.SWEEP)
                .orElseThrow(), dev.agentmesh.core.RunResume.nextAttempt(sim.state, Stages.SWEEP), "ops-laptop");
        assertEquals(2, again.getEnvelope().getAttempt());
        sim.fold(again);
        assertTrue(SweepDecider.readyToPlan(sim.state));
        sim.apply(sim.decider.plan(sim.state, grid(GATHER), OK.get(), "trainer-grant"));
        assertFalse(SweepDecider.readyToPlan(sim.state), "planned once per attempt");
        assertEquals(2, sim.state.sweep().attempt());
        assertNotEquals(firstPlan, sim.state.sweep().plannedBy());
        assertEquals(RunStatus.RUNNING, sim.state.status(), "the new attempt outranks the failed one");
        assertEquals(3, sim.state.sweep().count(CellStatus.SUCCEEDED), "kept, with their checkpoints");
        assertEquals(5, sim.state.sweep().count(CellStatus.PENDING));

        // A late report from the first plan changes nothing.
        CellTask old = firstPlanTasks.stream().filter(t -> failing.contains(t.getConfig().getCellId())).findFirst().orElseThrow();
        sim.fold(new RunEvent(sim.trainer.causedBy(old.getEnvelope(), "failed-late", 5), new CellFailed(
                old.getConfig().getCellId(), "late", false, false, null)));
        assertEquals(CellStatus.PENDING, sim.state.sweep().cells().get(old.getConfig().getCellId()).status());

        List<CellTask> secondPlanTasks = new ArrayList<>();
        sim.runAll(t -> {
            secondPlanTasks.add(t);
            sim.complete(t, 0.4, 1, 10);
        }, OK.get());
        assertEquals(failing, secondPlanTasks.stream().map(t -> t.getConfig().getCellId()).collect(java.util.stream.Collectors.toSet()),
                "only the cells that had not succeeded are trained again");
        assertTrue(secondPlanTasks.stream().allMatch(t -> t.getEnvelope().getAttempt() == 2), "attempts continue per cell");
        assertTrue(java.util.Collections.disjoint(secondPlanTasks.stream().map(t -> t.getEnvelope().getEventId()).toList(),
                firstPlanTasks.stream().map(t -> t.getEnvelope().getEventId()).toList()));
        SweepFinished f = sim.log.stream().map(RunEvent::getPayload).filter(SweepFinished.class::isInstance)
                .map(SweepFinished.class::cast).reduce((a, b) -> b).orElseThrow();
        assertEquals(SweepOutcome.SUCCEEDED, f.getOutcome());
        assertEquals(8, f.getCellsSucceeded());
        assertTrue(failing.contains(f.getWinnerCellId()), "a retrained cell (loss 0.4) wins");
        assertEquals(RunStatus.COMPLETED, sim.state.status());
        assertEquals(2, sim.state.stages().get(Stages.SWEEP).attempt());
        RunState replayed = null;
        for (RunEvent e : sim.log) {
            replayed = RunStateReducer.apply(replayed, e);
        }
        assertEquals(RunStateJson.toBytes(sim.state).length, RunStateJson.toBytes(replayed).length);
        assertArrayEquals(RunStateJson.toBytes(sim.state), RunStateJson.toBytes(replayed), "the log folds to the same state");
    }

    @Test
    void aRunResumedFromAnEarlierStageSweepsItsNewDatasetFromScratch() {
        Sim sim = new Sim(published("run-s"), grid(GATHER), OK.get());
        sim.runAll(t -> sim.complete(t, 0.5, 1, 10), OK.get());
        assertEquals(RunStatus.COMPLETED, sim.state.status());
        // The publish stage ran again as attempt 2 and announced a different dataset (an id that sorts after the first).
        Envelope trigger = sim.log.get(0).getEnvelope();
        Envelope republished = new Envelopes("publisher", "p", Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC))
                .envelope("zzzz-second-dataset", "run-s", trigger.getEventId(), "op-grant", 0, 2, 0, null);
        sim.fold(new RunEvent(republished, new DatasetPublished("file:/d2/", "sha256:cd", Map.of("train", "file:/d2/train.avro",
                "validation", "file:/d2/validation.avro", "test", "file:/d2/test.avro"), Map.of("train", 9L),
                List.of("f1", "f2", "f3"), "class", "good")));
        assertEquals("sha256:cd", sim.state.dataset().checksum(), "the later attempt's dataset, whatever its id");
        Envelope completed = new Envelopes("publisher", "p", Clock.fixed(T0.plusSeconds(61), ZoneOffset.UTC))
                .envelope("zzzz-publish-done", "run-s", trigger.getEventId(), "op-grant", 0, 2, 0, null);
        sim.fold(RunEvents.completed(completed, Stages.PUBLISH, Map.of(), Map.of()));
        assertTrue(SweepDecider.readyToPlan(sim.state));
        sim.apply(sim.decider.plan(sim.state, grid(GATHER), OK.get(), "trainer-grant"));
        assertEquals(8, sim.state.sweep().count(CellStatus.PENDING), "another dataset: nothing carried over");
        List<CellTask> tasks = sim.next(OK.get(), T0.plusSeconds(62)).tasks();
        assertEquals("file:/d2/train.avro", tasks.get(0).getTrainSplit());
        assertEquals("sha256:cd", tasks.get(0).getDatasetChecksum());
    }
}
