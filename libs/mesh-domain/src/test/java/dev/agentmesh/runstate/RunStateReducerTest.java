package dev.agentmesh.runstate;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellConfig;
import dev.agentmesh.sweep.CellFailed;
import dev.agentmesh.sweep.CellStepResult;
import dev.agentmesh.sweep.SweepPlanned;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class RunStateReducerTest {

    static final String RUN = "run-1";

    /** A complete two-stage run with a failed first attempt of stage b, one event per second. */
    static List<RunEvent> history() {
        List<RunEvent> events = new ArrayList<>();
        Instant t0 = Instant.parse("2026-11-23T02:00:00Z");
        Envelopes cli = new Envelopes("meshctl", "cli-1", Clock.fixed(t0, ZoneOffset.UTC));
        Envelope trigger = cli.origin(RUN, "grant-1");
        events.add(RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "credit-g.csv", "credit-g",
                List.of("a", "b"), Map.of()));
        Envelopes agent = new Envelopes("agent", "agent-1", Clock.fixed(t0.plusSeconds(1), ZoneOffset.UTC));
        events.add(RunEvents.started(withCost(agent.causedBy(trigger, "e1", 5), 1, t0.plusSeconds(1)), "a"));
        events.add(RunEvents.completed(withCost(agent.causedBy(trigger, "e2", 7), 1, t0.plusSeconds(2)), "a",
                Map.of("rows.in", 10L, "rows.out", 9L, "rows.rejected", 1L), Map.of("check", "ok")));
        events.add(RunEvents.started(withCost(agent.causedBy(trigger, "e3", 1), 1, t0.plusSeconds(3)), "b"));
        events.add(RunEvents.failed(withCost(agent.causedBy(trigger, "e4", 1), 1, t0.plusSeconds(4)), "b", "boom", true));
        events.add(RunEvents.started(withCost(agent.causedBy(trigger, "e5", 1), 2, t0.plusSeconds(5)), "b"));
        events.add(RunEvents.completed(withCost(agent.causedBy(trigger, "e6", 11), 2, t0.plusSeconds(6)), "b", Map.of(), Map.of()));
        return events;
    }

    static Envelope withCost(Envelope e, int attempt, Instant at) {
        e.setAttempt(attempt);
        e.setOccurredAt(at);
        return e;
    }

    static RunState fold(List<RunEvent> events) {
        RunState state = null;
        for (RunEvent e : events) {
            state = RunStateReducer.apply(state, e);
        }
        return state;
    }

    @Test
    void inOrderHistoryCompletesWithRetriedStage() {
        RunState state = fold(history());
        assertEquals(RunStatus.COMPLETED, state.status());
        assertEquals(2, state.stages().get("b").attempt());
        assertEquals(StageState.Status.COMPLETED, state.stages().get("b").status());
        assertEquals(9L, state.stages().get("a").counts().get("rows.out"));
        assertEquals(Instant.parse("2026-11-23T02:00:01Z"), state.stages().get("a").startedAt());
        assertEquals(5 + 7 + 1 + 1 + 1 + 11, state.computeMs());
        assertEquals(7, state.eventCount());
        assertEquals("CSV:credit-g.csv", state.source());
    }

    @Test
    void partialHistoryIsRunningAndFailureFailsTheRun() {
        List<RunEvent> h = history();
        assertEquals(RunStatus.TRIGGERED, fold(h.subList(0, 1)).status());
        assertEquals(RunStatus.RUNNING, fold(h.subList(0, 3)).status());
        assertEquals(RunStatus.FAILED, fold(h.subList(0, 5)).status());
        assertEquals("boom", fold(h.subList(0, 5)).stages().get("b").reason());
        assertEquals(RunStatus.PENDING, fold(h.subList(1, 3)).status(), "stage events before the trigger");
    }

    @Property(tries = 300, seed = "20261123")
    void anyOrderWithAnyDuplicatesGivesTheSameState(@ForAll long seed, @ForAll @Size(max = 10) List<Integer> duplicates) {
        List<RunEvent> history = history();
        List<RunEvent> events = new ArrayList<>(history);
        for (int d : duplicates) {
            events.add(events.get(Math.floorMod(d, events.size())));
        }
        Collections.shuffle(events, new Random(seed));
        RunState expected = fold(history);
        RunState actual = fold(events);
        assertEquals(expected, actual);
        assertArrayEquals(RunStateJson.toBytes(expected), RunStateJson.toBytes(actual));
    }

    @Test
    void jsonRoundTripIsLossless() {
        RunState state = fold(history());
        RunState back = RunStateJson.fromBytes(RunStateJson.toBytes(state));
        assertEquals(state, back);
    }

    @Test
    void theStoresCborRoundTripIsLosslessAndSmallerThanTheJson() {
        RunState state = fold(history());
        byte[] stored = RunStateJson.toStoreBytes(state);
        assertEquals(state, RunStateJson.fromStoreBytes(stored));
        assertTrue(stored.length < RunStateJson.toBytes(state).length, stored.length + " bytes of CBOR");
    }

    @Test
    void theStoreKeepsInstantsAsMillisecondsAndReadsTheIsoTextItUsedToWrite() throws Exception {
        RunState state = fold(history());
        byte[] stored = RunStateJson.toStoreBytes(state);
        assertFalse(new String(stored, StandardCharsets.ISO_8859_1).contains("2026-11-23T02:00"), "instants as numbers");
        // a store written before instants were numbers
        byte[] before = new CBORMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).writeValueAsBytes(state);
        assertTrue(new String(before, StandardCharsets.ISO_8859_1).contains("2026-11-23T02:00:00Z"));
        assertEquals(state, RunStateJson.fromStoreBytes(before));
    }

    @Test
    void anInstantFinerThanAMillisecondSurvivesTheStore() {
        // the log's instants are whole milliseconds (Avro truncates them), so this one is made by hand
        RunState s = fold(history());
        Instant fine = Instant.parse("2026-11-23T02:00:06.000123456Z");
        RunState state = new RunState(s.runId(), s.status(), s.pipeline(), s.requestedBy(), s.source(), s.contract(),
                s.plannedStages(), s.parameters(), s.triggeredAt(), fine, s.stages(), s.dataset(), s.sweep(), s.gate(),
                s.computeMs(), s.tokens(), s.costByGrant(), s.redrivenRows(), s.stall(), s.triage(), s.eventIds());
        assertEquals(state, RunStateJson.fromStoreBytes(RunStateJson.toStoreBytes(state)));
    }

    @Test
    void aCellKeepsItsPipelineStepsAndAFailureTheStepItFailedIn() {
        List<RunEvent> events = new ArrayList<>(history());
        Envelope trigger = events.get(0).getEnvelope();
        Envelopes trainer = new Envelopes("trainer", "trainer-1", Clock.fixed(Instant.parse("2026-11-23T02:00:07Z"), ZoneOffset.UTC));
        List<String> pipeline = List.of("train", "calibrate", "evaluate");
        CellConfig good = new CellConfig("good", "logistic", "logistic", 0, 0.03, 64, 5, 42L, pipeline, null);
        CellConfig bad = new CellConfig("bad", "logistic", "logistic", 0, 0.3, 64, 5, 42L, pipeline, null);
        events.add(new RunEvent(trainer.causedBy(trigger, "plan", 0), new SweepPlanned("g", List.of(good, bad),
                Map.of(), "rule", 60_000L, "trainer-grant")));
        List<CellStepResult> steps = List.of(new CellStepResult("train", Map.of("validation.loss", 0.5), 80L),
                new CellStepResult("calibrate", Map.of("temperature", 1.25), 4L),
                new CellStepResult("evaluate", Map.of("test.loss", 0.52, "test.accuracy", 0.74), 3L));
        events.add(new RunEvent(trainer.causedBy(trigger, "good-done", 87), new CellCompleted("good", good, 0.5, 0.75, 4.0,
                80L, "file:/m/good", "sha256:aa", steps)));
        events.add(new RunEvent(trainer.causedBy(trigger, "bad-failed", 9), new CellFailed("bad",
                "step calibrate: the validation split holds only [good]", false, false, "calibrate")));
        RunState state = fold(events);

        SweepState.CellState done = state.sweep().cells().get("good");
        assertEquals(pipeline, done.steps().stream().map(SweepState.StepResult::step).toList());
        assertEquals(1.25, done.steps().get(1).metrics().get("temperature"));
        assertEquals(3L, done.steps().get(2).durationMs());
        assertNull(done.failedStep());
        SweepState.CellState failed = state.sweep().cells().get("bad");
        assertEquals("calibrate", failed.failedStep());
        assertEquals(List.of(), failed.steps());
        assertEquals(pipeline, failed.config().steps(), "the plan's steps stay with the cell");
        // the same in the store and in the API's JSON, and in any order
        assertEquals(state, RunStateJson.fromStoreBytes(RunStateJson.toStoreBytes(state)));
        assertEquals(state, RunStateJson.fromBytes(RunStateJson.toBytes(state)));
        List<RunEvent> reversed = new ArrayList<>(events);
        Collections.reverse(reversed);
        assertArrayEquals(RunStateJson.toBytes(state), RunStateJson.toBytes(fold(reversed)));
    }

    @Test
    void eventOfAnotherRunIsRefused() {
        RunState state = fold(history());
        RunEvent other = RunEvents.started(new Envelopes("x", "y").origin("run-2", null), "a");
        assertThrows(IllegalArgumentException.class, () -> RunStateReducer.apply(state, other));
    }
}
