package dev.agentmesh.runstate.service;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.agentmesh.run.RunStalled;
import dev.agentmesh.core.StallWatch;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The topology as built for production, driven by {@link TopologyTestDriver}. */
class RunStateTopologyTest {

    static final Instant T0 = Instant.parse("2026-11-23T02:00:00Z");
    static final Duration STALL_AFTER = Duration.ofMinutes(10);

    final Map<String, Object> serde = SerdeSettings.inMemoryStore();
    final MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, serde);
    TopologyTestDriver driver;
    TestInputTopic<String, byte[]> input;
    KeyValueStore<String, RunState> store;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "run-state-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        driver = new TopologyTestDriver(TopologyProducer.build(serde, new StallWatch(STALL_AFTER,
                new Envelopes("run-state", "rs-1")), Duration.ofSeconds(5)), props, T0.plusSeconds(60));
        input = driver.createInputTopic(Topics.RUN_EVENTS.name(), new StringSerializer(), new ByteArraySerializer());
        store = driver.getKeyValueStore(TopologyProducer.RUN_STATE_STORE);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    static List<RunEvent> run(String runId, boolean fail) {
        Instant t0 = Instant.parse("2026-11-23T02:00:00Z");
        Envelope trigger = new Envelopes("meshctl", "cli", Clock.fixed(t0, ZoneOffset.UTC)).origin(runId, "g-1");
        Envelopes agent = new Envelopes("row-validator", "rv-1", Clock.fixed(t0.plusSeconds(3), ZoneOffset.UTC));
        List<RunEvent> events = new ArrayList<>();
        events.add(RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "/data/credit-g.csv", "credit-g",
                List.of("row-validation"), Map.of()));
        events.add(RunEvents.started(agent.causedBy(trigger, "started", 0), "row-validation"));
        events.add(fail
                ? RunEvents.failed(agent.causedBy(trigger, "finished", 40), "row-validation", "missing column 'age'", false)
                : RunEvents.completed(agent.causedBy(trigger, "finished", 40), "row-validation",
                Map.of("rows.in", 1000L, "rows.out", 998L, "rows.rejected", 2L), Map.of("contract", "credit-g@v1")));
        return events;
    }

    void pipe(List<RunEvent> events) {
        events.forEach(e -> input.pipeInput(e.getEnvelope().getRunId(), codec.encode(e)));
    }

    @Test
    void aCompletedRunIsDerivedFromItsEvents() {
        pipe(run("run-1", false));
        RunState state = store.get("run-1");
        assertEquals(RunStatus.COMPLETED, state.status());
        assertEquals(998L, state.stages().get("row-validation").counts().get("rows.out"));
        assertEquals(40, state.computeMs());
        assertEquals(3, state.eventCount());
    }

    @Test
    void stageDurationsEndedRunsAndComputeAreCountedOnceAsTheStateChanges() {
        driver.close();
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "run-state-metrics-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(TopologyProducer.build(serde, new StallWatch(STALL_AFTER,
                new Envelopes("run-state", "rs-1")), Duration.ofSeconds(5), new RunTransitionMetrics(metrics)), props, T0.plusSeconds(60));
        input = driver.createInputTopic(Topics.RUN_EVENTS.name(), new StringSerializer(), new ByteArraySerializer());

        Envelope trigger = new Envelopes("meshctl", "cli", Clock.fixed(T0, ZoneOffset.UTC)).origin("run-m", "g-1");
        Envelopes startedAt = new Envelopes("row-validator", "rv-1", Clock.fixed(T0.plusSeconds(3), ZoneOffset.UTC));
        Envelopes finishedAt = new Envelopes("row-validator", "rv-1", Clock.fixed(T0.plusSeconds(10), ZoneOffset.UTC));
        RunEvent completed = RunEvents.completed(finishedAt.causedBy(trigger, "finished", 40), "row-validation",
                Map.of("rows.out", 5L), Map.of());
        pipe(List.of(RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "/data/x.csv", "credit-g",
                        List.of("row-validation"), Map.of()),
                RunEvents.started(startedAt.causedBy(trigger, "started", 0), "row-validation"), completed, completed));
        pipe(run("run-f", true));

        Timer rowValidation = metrics.find("mesh.stage.duration").tags("stage", "row-validation", "status", "COMPLETED").timer();
        assertNotNull(rowValidation);
        assertEquals(1, rowValidation.count(), "a redelivered completion is not a second stage");
        assertEquals(7.0, rowValidation.totalTime(TimeUnit.SECONDS), 1e-9);
        assertEquals(1, metrics.find("mesh.stage.duration").tags("status", "FAILED").timer().count());
        assertEquals(1.0, metrics.find("mesh.runs.ended").tags("status", "COMPLETED").counter().count());
        assertEquals(1.0, metrics.find("mesh.runs.ended").tags("status", "FAILED").counter().count());
        assertEquals(80.0, metrics.find("mesh.run.compute.ms").counter().count(), "40 ms for each run, once");
    }

    @Test
    void everyCommitCarriesTheRunsNewStateToTheChangelog() {
        // what a restarted or standby instance restores from: it must be in the same transaction as the input offsets
        TestOutputTopic<String, byte[]> changelog = driver.createOutputTopic(
                "run-state-test-" + TopologyProducer.RUN_STATE_STORE + "-changelog",
                new StringDeserializer(), new ByteArrayDeserializer());
        List<RunEvent> events = run("run-1", false);
        pipe(events.subList(0, 1));
        assertEquals(RunStatus.TRIGGERED, RunStateJson.fromStoreBytes(changelog.readValue()).status());
        pipe(events.subList(1, 3));
        List<byte[]> states = changelog.readValuesToList();
        assertEquals(2, states.size(), "one changelog record per commit (the driver commits after every record)");
        assertEquals(RunStatus.COMPLETED, RunStateJson.fromStoreBytes(states.get(1)).status());
    }

    @Test
    void outOfOrderAndDuplicateEventsGiveTheSameState() {
        List<RunEvent> history = run("in-order", false);
        pipe(history);
        byte[] expected = RunStateJson.toBytes(store.get("in-order"));
        for (long seed = 0; seed < 20; seed++) {
            String runId = "shuffled-" + seed;
            // Same events (same ids) re-keyed to a new run, then shuffled with duplicates.
            List<RunEvent> events = new ArrayList<>();
            for (RunEvent e : history) {
                events.add(e);
            }
            List<RunEvent> copies = new ArrayList<>();
            for (RunEvent e : events) {
                RunEvent copy = RunEvent.newBuilder(e).build();
                copy.getEnvelope().setRunId(runId);
                copies.add(copy);
            }
            Random random = new Random(seed);
            copies.add(copies.get(random.nextInt(copies.size())));
            copies.add(copies.get(random.nextInt(copies.size())));
            Collections.shuffle(copies, random);
            pipe(copies);
            String actual = new String(RunStateJson.toBytes(store.get(runId))).replace(runId, "in-order");
            assertEquals(new String(expected), actual, "seed " + seed);
        }
    }

    @Test
    void aFailedStageFailsTheRunWithItsReason() {
        pipe(run("run-2", true));
        RunState state = store.get("run-2");
        assertEquals(RunStatus.FAILED, state.status());
        assertEquals("missing column 'age'", state.stages().get("row-validation").reason());
    }

    @Test
    void undecodableRecordsAreSkippedAndLaterEventsStillApply() {
        List<RunEvent> events = run("run-3", false);
        pipe(events.subList(0, 1));
        input.pipeInput("run-3", new byte[]{1, 2, 3});
        input.pipeInput("run-3", new byte[]{0, 0, 0, 0, 9, 9});
        pipe(events.subList(1, 3));
        assertEquals(RunStatus.COMPLETED, store.get("run-3").status());
    }

    @Test
    void anEventKeyedUnderAnotherRunIsIgnored() {
        RunEvent stray = run("run-4", false).get(0);
        input.pipeInput("run-5", codec.encode(stray));
        assertNull(store.get("run-5"));
        assertNull(store.get("run-4"));
    }

    @Test
    void aRunSilentPastItsDeadlineIsFlaggedStalledOnceAndItsNextEventClearsIt() {
        Envelope trigger = new Envelopes("meshctl", "cli", Clock.fixed(T0, ZoneOffset.UTC)).origin("r-silent", "g-1");
        pipe(List.of(RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "/data/credit-g.csv", "credit-g",
                        List.of("row-validation", "feature-extraction"), Map.of()),
                RunEvents.completed(new Envelopes("row-validator", "rv-1", Clock.fixed(T0.plusSeconds(3), ZoneOffset.UTC))
                        .causedBy(trigger, "finished", 40), "row-validation", Map.of("rows.out", 10L), Map.of())));
        pipe(run("r-done", false));
        var output = driver.createOutputTopic(Topics.RUN_EVENTS.name(), new StringDeserializer(), new ByteArrayDeserializer());
        output.readRecordsToList();

        driver.advanceWallClockTime(Duration.ofMinutes(5));
        assertEquals(RunStatus.RUNNING, store.get("r-silent").status(), "within its deadline");
        driver.advanceWallClockTime(Duration.ofMinutes(6));
        RunState stalled = store.get("r-silent");
        assertEquals(RunStatus.STALLED, stalled.status());
        assertEquals("feature-extraction", stalled.stall().stage());
        assertTrue(stalled.stall().reason().contains("meshctl runs resume r-silent --from feature-extraction"),
                stalled.stall().reason());
        assertEquals(RunStatus.COMPLETED, store.get("r-done").status(), "a finished run is never flagged");
        List<RunEvent> flagged = output.readValuesToList().stream().map(codec::decode)
                .filter(e -> e.getPayload() instanceof RunStalled).toList();
        assertEquals(1, flagged.size());
        assertEquals("r-silent", flagged.get(0).getEnvelope().getRunId());

        driver.advanceWallClockTime(Duration.ofMinutes(20));
        assertTrue(output.readValuesToList().stream().map(codec::decode).noneMatch(e -> e.getPayload() instanceof RunStalled),
                "flagged once, not again while it stays stalled");

        Envelopes extractor = new Envelopes("feature-extractor", "fe-1", Clock.fixed(T0.plusSeconds(1900), ZoneOffset.UTC));
        pipe(List.of(RunEvents.started(extractor.causedBy(trigger, "started", 0), "feature-extraction")));
        assertEquals(RunStatus.RUNNING, store.get("r-silent").status(), "progress after the flag clears it");
        assertNull(store.get("r-silent").stall());
    }
}
