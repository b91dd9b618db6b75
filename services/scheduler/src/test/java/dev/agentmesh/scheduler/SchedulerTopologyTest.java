package dev.agentmesh.scheduler;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.schedule.CatchUp;
import dev.agentmesh.schedule.Fire;
import dev.agentmesh.schedule.FireOutcome;
import dev.agentmesh.schedule.Schedule;
import dev.agentmesh.schedule.ScheduleState;
import dev.agentmesh.scheduling.ScheduleClock;
import dev.agentmesh.scheduling.ScheduleTicker;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scheduler's topology as built for production, driven by {@link TopologyTestDriver} and its wall clock. */
class SchedulerTopologyTest {

    static final Instant T0 = Instant.parse("2026-11-30T02:00:00Z");

    final Map<String, Object> serde = SerdeSettings.inMemoryStore();
    final MeshCodec<Schedule> schedules = new MeshCodec<>(Topics.SCHEDULES, serde);
    final MeshCodec<RunEvent> runEvents = new MeshCodec<>(Topics.RUN_EVENTS, serde);
    final AtomicReference<Decision> grant = new AtomicReference<>(new Decision(true, Decision.Refusal.NONE, "allowed"));
    final List<Fire> observed = new ArrayList<>();
    TopologyTestDriver driver;
    TestInputTopic<String, byte[]> in;
    TestOutputTopic<String, byte[]> runs;
    TestOutputTopic<String, byte[]> written;
    TestOutputTopic<String, byte[]> dead;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scheduler-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        ScheduleTicker ticker = new ScheduleTicker(new Envelopes(TopologyProducer.ROLE, "s-1"), request -> grant.get(),
                ScheduleClock.ON_TIME);
        driver = new TopologyTestDriver(TopologyProducer.build(serde, ticker, Duration.ofSeconds(1),
                (schedule, tick) -> observed.addAll(tick.fires())), props, T0);
        in = driver.createInputTopic(Topics.SCHEDULES.name(), new StringSerializer(), new ByteArraySerializer());
        runs = driver.createOutputTopic(Topics.RUN_EVENTS.name(), new StringDeserializer(), new ByteArrayDeserializer());
        written = driver.createOutputTopic(Topics.SCHEDULES.name(), new StringDeserializer(), new ByteArrayDeserializer());
        dead = driver.createOutputTopic(Topics.DEAD_LETTER.name(), new StringDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    /** A schedule as a person writes it with meshctl. */
    static Schedule schedule(String id, String cron, ScheduleState state, CatchUp catchUp, Instant createdAt) {
        Envelope envelope = new Envelopes("meshctl", "cli", Clock.fixed(createdAt, ZoneOffset.UTC)).origin(id, "operator-grant");
        return Schedule.newBuilder().setEnvelope(envelope).setScheduleId(id).setCron(cron).setTimeZone("UTC")
                .setState(state).setCatchUp(catchUp).setPipeline("nightly").setSourceKind(SourceKind.CSV)
                .setSource("/data/credit-g.csv").setContract("credit-g").setStages(List.of("row-validation"))
                .setParameters(Map.of("mesh.sweep.grant", "sweep-grant")).setGrantId("operator-grant")
                .setCreatedAt(createdAt).setFiredUpTo(Instant.EPOCH).setFires(List.of()).build();
    }

    void write(Schedule s) {
        in.pipeInput(s.getScheduleId(), schedules.encode(s));
    }

    List<RunEvent> triggers() {
        return runs.readValuesToList().stream().map(runEvents::decode).toList();
    }

    Schedule latest() {
        List<byte[]> all = written.readValuesToList();
        return schedules.decode(all.get(all.size() - 1));
    }

    @Test
    void aScheduleFiresOnTimeOncePerFireAsARunOfItsOwn() {
        write(schedule("every5s", "*/5 * * * * ?", ScheduleState.ACTIVE, CatchUp.SKIP, T0));
        driver.advanceWallClockTime(Duration.ofSeconds(6));
        List<RunEvent> first = triggers();
        assertEquals(1, first.size());
        RunEvent trigger = first.get(0);
        assertEquals("every5s-20261130T020005Z", trigger.getEnvelope().getRunId());
        assertEquals(ScheduleClock.eventId("every5s", T0.plusSeconds(5)), trigger.getEnvelope().getEventId());
        assertEquals("operator-grant", trigger.getEnvelope().getGrantId());
        RunTriggered payload = (RunTriggered) trigger.getPayload();
        assertEquals("schedule:every5s", payload.getRequestedBy());
        assertEquals(Map.of("mesh.sweep.grant", "sweep-grant"), payload.getParameters());
        Schedule after = latest();
        assertEquals(T0.plusSeconds(5), after.getFiredUpTo());
        assertEquals(FireOutcome.TRIGGERED, after.getFires().get(0).getOutcome());

        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertEquals(List.of(), triggers(), "no second run for the same fire");
        driver.advanceWallClockTime(Duration.ofSeconds(4));
        assertEquals(List.of("every5s-20261130T020010Z"), triggers().stream().map(e -> e.getEnvelope().getRunId()).toList());

        // The scheduler's own write coming back does not rewind the schedule.
        in.pipeInput("every5s", schedules.encode(after));
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertEquals(List.of(), triggers(), "the echo of an older state fires nothing again");
    }

    @Test
    void aRevokedGrantRefusesTheNextFireAndTheRefusalIsRecorded() {
        write(schedule("revocable", "*/5 * * * * ?", ScheduleState.ACTIVE, CatchUp.SKIP, T0));
        driver.advanceWallClockTime(Duration.ofSeconds(6));
        assertEquals(1, triggers().size());
        grant.set(new Decision(false, Decision.Refusal.REVOKED, "grant operator-grant was revoked: the operator left"));
        driver.advanceWallClockTime(Duration.ofSeconds(5));
        assertEquals(List.of(), triggers());
        Fire refused = latest().getFires().get(1);
        assertEquals(FireOutcome.REFUSED, refused.getOutcome());
        assertTrue(refused.getReason().contains("revoked"), refused.getReason());
        assertTrue(observed.stream().anyMatch(f -> f.getOutcome() == FireOutcome.REFUSED), "the refusal is told, not silent");
    }

    @Test
    void firesMissedWhileNoSchedulerRanFollowTheCatchUpPolicy() {
        Instant longAgo = T0.minus(Duration.ofMinutes(10));
        write(schedule("skipper", "* * * * *", ScheduleState.ACTIVE, CatchUp.SKIP, longAgo));
        write(schedule("catcher", "* * * * *", ScheduleState.ACTIVE, CatchUp.RUN_ONCE, longAgo));
        driver.advanceWallClockTime(Duration.ofSeconds(40)); // T0 + 40 s: 02:00 is 40 s late, missed too
        List<RunEvent> fired = triggers();
        assertEquals(List.of("catcher-20261130T020000Z"), fired.stream().map(e -> e.getEnvelope().getRunId()).toList(),
                "RUN_ONCE runs the latest missed fire once; SKIP runs none");
        assertEquals(10, observed.stream().filter(f -> f.getRunId().startsWith("skipper")
                && f.getOutcome() == FireOutcome.SKIPPED).count(), "01:51 to 02:00, each recorded as skipped");
    }

    @Test
    void aPausedScheduleDoesNotFireAndResumingStartsFromTheResume() {
        write(schedule("pausable", "*/5 * * * * ?", ScheduleState.PAUSED, CatchUp.RUN_ONCE, T0));
        driver.advanceWallClockTime(Duration.ofSeconds(60));
        assertEquals(List.of(), triggers());
        in.pipeInput("pausable", schedules.encode(schedule("pausable", "*/5 * * * * ?", ScheduleState.ACTIVE,
                CatchUp.RUN_ONCE, T0)));
        driver.advanceWallClockTime(Duration.ofSeconds(5));
        List<RunEvent> fired = triggers();
        assertEquals(1, fired.size(), "one on-time fire after the resume, no catch-up for the paused minute: "
                + fired.stream().map(e -> e.getEnvelope().getRunId()).toList());
    }

    @Test
    void aDeletedScheduleStaysDeletedWhenAnOlderWriteBackArrivesAfterTheDeletion() {
        Schedule created = schedule("doomed", "*/5 * * * * ?", ScheduleState.ACTIVE, CatchUp.SKIP, T0);
        write(created);
        driver.advanceWallClockTime(Duration.ofSeconds(6));
        assertEquals(1, triggers().size());
        Schedule ticked = latest();
        write(Schedule.newBuilder(created).setState(ScheduleState.DELETED).build());
        assertEquals(ScheduleState.DELETED, latest().getState(), "the deletion is written back as the latest record");
        in.pipeInput("doomed", schedules.encode(ticked)); // the tick's write-back, appended after the deletion
        driver.advanceWallClockTime(Duration.ofSeconds(10));
        assertEquals(List.of(), triggers(), "nothing resurrects a deleted schedule");
    }

    @Test
    void aRecordThatIsNoUsableScheduleIsDeadLetteredAndTheRestGoOn() {
        in.pipeInput("garbage", new byte[]{1, 2, 3});
        write(schedule("bad-cron", "0 99 * * *", ScheduleState.ACTIVE, CatchUp.SKIP, T0));
        write(schedule("good", "*/5 * * * * ?", ScheduleState.ACTIVE, CatchUp.SKIP, T0));
        assertEquals(2, dead.readValuesToList().size());
        driver.advanceWallClockTime(Duration.ofSeconds(6));
        assertEquals(List.of("good-20261130T020005Z"), triggers().stream().map(e -> e.getEnvelope().getRunId()).toList());
    }
}
