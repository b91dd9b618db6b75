package dev.agentmesh.service;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.ActiveRuns;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The process managers' topology, driven by {@link TopologyTestDriver}: stores, ticks, sinks and dead letters. */
class RunProcessManagerTest {

    static final String NAME = "test-manager";

    /** A worker that starts the sweep stage of each run it owns, settles it when told to, and counts its ticks. */
    static final class Worker implements RunWorker {
        final MeshCodec<RunEvent> codec;
        final List<String> ticked = new ArrayList<>();
        int ticks;

        Worker(MeshCodec<RunEvent> codec) {
            this.codec = codec;
        }

        @Override
        public String stage() {
            return Stages.SWEEP;
        }

        @Override
        public List<Topic<?, ?>> outputs() {
            return List.of(Topics.RUN_EVENTS, Topics.SWEEP_CONTROL);
        }

        @Override
        public void handle(LoggedRecord record, ActiveRuns runs, Outbox out) {
            RunEvent event = codec.decode(record.value());
            if (event.getEnvelope().getEventId().startsWith("fail")) {
                throw new IllegalStateException("cannot handle " + event.getEnvelope().getEventId());
            }
            runs.fold(event).filter(RunState::triggered).ifPresent(state -> {
                if (event.getEnvelope().getEventId().startsWith("done")) {
                    runs.settle(state);
                } else if (!state.stages().containsKey(Stages.SWEEP)) {
                    RunEvent started = RunEvents.started(new Envelopes("worker", "w").causedBy(event.getEnvelope(),
                            "started-" + state.runId(), 0), Stages.SWEEP);
                    out.send(started);
                    runs.put(RunStateReducer.apply(state, started));
                }
            });
        }

        @Override
        public void tick(ActiveRuns runs, Outbox out) {
            ticks++;
            for (RunState state : runs.all()) {
                ticked.add(state.runId());
                out.send(Topics.SWEEP_CONTROL, state.runId(), ("tick " + state.runId()).getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    final MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.inMemoryStore());
    Worker worker;
    TopologyTestDriver driver;
    TestInputTopic<String, byte[]> in;
    TestOutputTopic<String, byte[]> runEvents;
    TestOutputTopic<String, byte[]> control;
    TestOutputTopic<String, byte[]> deadLetters;

    @BeforeEach
    void start() {
        worker = new Worker(codec);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "process-manager-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(RunProcessManager.topology(NAME, worker, codec, Duration.ofMillis(250)), props);
        in = driver.createInputTopic(Topics.RUN_EVENTS.name(), new StringSerializer(), Serdes.ByteArray().serializer());
        runEvents = driver.createOutputTopic(Topics.RUN_EVENTS.name(), new StringDeserializer(), new ByteArrayDeserializer());
        control = driver.createOutputTopic(Topics.SWEEP_CONTROL.name(), new StringDeserializer(), new ByteArrayDeserializer());
        deadLetters = driver.createOutputTopic(Topics.DEAD_LETTER.name(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    static RunEvent trigger(String runId, List<String> stages) {
        return RunEvents.triggered(new Envelopes("meshctl", "t").origin(runId, "g"), "nightly", "t", SourceKind.CSV,
                "x.csv", "credit-g", stages, Map.of());
    }

    void send(RunEvent event) {
        in.pipeInput(event.getEnvelope().getRunId(), codec.encode(event));
    }

    KeyValueStore<String, RunState> store(String suffix) {
        return driver.getKeyValueStore(NAME + suffix);
    }

    @Test
    void runsLiveInTheStoreAndTheWorkersOutputsGoToTheSinks() {
        send(trigger("a", List.of(Stages.PUBLISH, Stages.SWEEP)));
        send(trigger("not-mine", List.of(Stages.PUBLISH)));

        RunEvent started = codec.decode(runEvents.readValue());
        assertEquals("a", started.getEnvelope().getRunId());
        assertTrue(runEvents.isEmpty(), "a run that does not plan the stage gets nothing");
        assertNotNull(store(RunProcessManager.ACTIVE_RUNS).get("a").stages().get(Stages.SWEEP),
                "the store holds the state with what the worker sent folded in");
        assertNull(store(RunProcessManager.ACTIVE_RUNS).get("not-mine"));
        assertNotNull(store(RunProcessManager.SETTLED_RUNS).get("not-mine"), "settled on sight, and kept");
    }

    @Test
    void ticksReachActiveRunsOnlyAndTheirOutputsAreSent() {
        send(trigger("a", List.of(Stages.SWEEP)));
        send(trigger("b", List.of(Stages.SWEEP)));
        RunEvent done = RunEvents.completed(new Envelopes("x", "x").envelope("done-b", "b", null, "g", 0, 1, 0, null),
                Stages.PUBLISH, Map.of(), Map.of());
        send(done);

        driver.advanceWallClockTime(Duration.ofMillis(300));

        assertEquals(List.of("a"), worker.ticked, "the settled run is not ticked");
        TestRecord<String, byte[]> tick = control.readRecord();
        assertEquals("a", tick.key());
        assertEquals("tick a", new String(tick.value(), StandardCharsets.UTF_8));
    }

    @Test
    void aProcessManagerTicksOnlyWhileItHasActiveRuns() {
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertEquals(0, worker.ticks, "no run, no tick (each punctuation would commit a transaction)");

        send(trigger("a", List.of(Stages.SWEEP)));
        driver.advanceWallClockTime(Duration.ofMillis(300));
        assertEquals(List.of("a"), worker.ticked);

        send(RunEvents.completed(new Envelopes("x", "x").envelope("done-a", "a", null, "g", 0, 1, 0, null),
                Stages.PUBLISH, Map.of(), Map.of()));
        driver.advanceWallClockTime(Duration.ofMillis(300));
        int afterSettling = worker.ticks;
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertEquals(afterSettling, worker.ticks, "the last run settled: ticking stops");

        send(trigger("b", List.of(Stages.SWEEP)));
        driver.advanceWallClockTime(Duration.ofMillis(300));
        assertEquals(List.of("a", "b"), worker.ticked, "a new run starts the ticks again");
    }

    @Test
    void anEventTheWorkerCannotHandleIsDeadLetteredWithItsReasonAndTheNextIsHandled() {
        byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
        in.pipeInput("x", garbage);
        RunEvent failing = RunEvents.completed(new Envelopes("x", "x").envelope("fail-1", "c", null, "g", 0, 1, 0, null),
                Stages.PUBLISH, Map.of(), Map.of());
        send(failing);
        send(trigger("d", List.of(Stages.SWEEP)));

        TestRecord<String, byte[]> first = deadLetters.readRecord();
        assertEquals("x", first.key());
        assertEquals("not avro", new String(first.value(), StandardCharsets.UTF_8));
        assertEquals(Topics.RUN_EVENTS.name(), header(first, MeshHeaders.DLQ_TOPIC));
        assertEquals("0", header(first, MeshHeaders.DLQ_OFFSET));
        assertEquals(NAME, header(first, MeshHeaders.DLQ_SERVICE));
        assertNotNull(header(first, MeshHeaders.DLQ_REASON));

        TestRecord<String, byte[]> second = deadLetters.readRecord();
        assertEquals("cannot handle fail-1", header(second, MeshHeaders.DLQ_REASON));
        assertEquals("1", header(second, MeshHeaders.DLQ_OFFSET));
        assertTrue(deadLetters.isEmpty());
        assertEquals("d", codec.decode(runEvents.readValue()).getEnvelope().getRunId(), "the next event is handled");
    }

    static String header(TestRecord<String, byte[]> record, String name) {
        var h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
