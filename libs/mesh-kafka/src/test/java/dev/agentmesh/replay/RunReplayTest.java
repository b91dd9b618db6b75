package dev.agentmesh.replay;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RunReplayTest {

    static final MeshCodec<RunEvent> CODEC = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.inMemoryStore());
    static final Instant T0 = Instant.parse("2026-11-23T02:00:00Z");

    static final List<LoggedRecord> LOG = build();

    static List<LoggedRecord> log() {
        return LOG;
    }

    static List<LoggedRecord> build() {
        var trigger = new Envelopes("meshctl", "cli", Clock.fixed(T0, ZoneOffset.UTC)).origin("r", "g");
        Envelopes agent = new Envelopes("agent", "a", Clock.fixed(T0.plusSeconds(5), ZoneOffset.UTC));
        List<RunEvent> events = List.of(
                RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "x", "credit-g", List.of("a"), Map.of()),
                RunEvents.started(agent.causedBy(trigger, "s", 0), "a"),
                RunEvents.completed(agent.causedBy(trigger, "c", 3), "a", Map.of("rows.out", 2L), Map.of()));
        List<LoggedRecord> records = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            records.add(new LoggedRecord("mesh.run-events", 0, 10 + 2 * i, 0, "r", CODEC.encode(events.get(i)), Map.of()));
        }
        records.add(1, new LoggedRecord("mesh.run-events", 0, 11, 0, "r", new byte[]{1, 2, 3}, Map.of()));
        return records;
    }

    @Test
    void aFullReplayNamesWhatEachEventChangedAndKeepsUndecodableRecordsInTheTimeline() {
        RunReplay.Result result = RunReplay.replay(log(), CODEC::decode, null);
        assertEquals(RunStatus.COMPLETED, result.state().status());
        assertEquals(4, result.steps().size());
        assertNotNull(result.steps().get(1).undecodable());
        assertTrue(result.steps().get(3).changes().contains("status: RUNNING -> COMPLETED"), result.steps().get(3).changes().toString());
        assertTrue(RunReplay.failures(result).get(0).startsWith("offset 11: undecodable"));
        assertEquals(RunReplay.sha256(result.state()), RunReplay.sha256(RunReplay.replay(log(), CODEC::decode, null).state()));
    }

    @Test
    void untilStopsAtAnOffsetATimeOrAnEvent() {
        assertEquals(RunStatus.RUNNING, RunReplay.replay(log(), CODEC::decode, RunReplay.Until.parse("12")).state().status());
        assertEquals(RunStatus.TRIGGERED, RunReplay.replay(log(), CODEC::decode, RunReplay.Until.parse("2026-11-23T02:00:01Z")).state().status());
        String started = CODEC.decode(log().get(2).value()).getEnvelope().getEventId();
        RunReplay.Result upToStart = RunReplay.replay(log(), CODEC::decode, RunReplay.Until.parse(started));
        assertEquals(2, upToStart.state().eventCount());
        assertNotEquals(RunReplay.sha256(upToStart.state()), RunReplay.sha256(RunReplay.replay(log(), CODEC::decode, null).state()));
    }
}
