package dev.agentmesh.meshctl;

import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.kafka.GrantPublisher;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two scheduler processes on a real broker, schedules made with meshctl: each fire triggers exactly one run, on time;
 * fires missed while no scheduler ran follow the schedule's catch-up policy; a revoked grant refuses the next fire and
 * the refusal is recorded on the schedule.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SchedulerIT {

    static final Path ROOT = MeshServices.repoRoot();
    static final Path WORK = ROOT.resolve("tools/meshctl/target/scheduler-it-" + ProcessHandle.current().pid());
    static final Path KEYS = WORK.resolve("keys");
    static final Duration ON_TIME = Duration.ofSeconds(3);

    static EmbeddedKafka kafka;
    static MeshServices services;
    static GrantIssued operatorGrant;
    static MeshCodec<RunEvent> events;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start();
        services = new MeshServices(ROOT, WORK);
        operatorGrant = PrincipalTools.issueNightlyGrant(kafka.bootstrapServers(), KEYS);
        for (String name : List.of("scheduler", "scheduler-2")) {
            services.start(MeshServices.SCHEDULER, name, kafka.bootstrapServers(), config(), Duration.ofMinutes(2));
        }
        events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()));
    }

    static Map<String, String> config() {
        Map<String, String> config = new TreeMap<>(PrincipalTools.serviceConfig(KEYS));
        config.put("mesh.scheduler.tick", "PT0.2S");
        config.put("mesh.scheduler.on-time", ON_TIME.toString());
        return config;
    }

    @AfterAll
    static void stop() {
        services.close();
        kafka.close();
    }

    static String meshctl(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap", kafka.bootstrapServers()));
        return MeshFlowIT.meshctl(all.toArray(String[]::new));
    }

    /** The triggers schedule {@code id} published, with the time the broker stored each. */
    static List<ConsumerRecord<byte[], byte[]>> triggers(String id, Duration within, Predicate<List<ConsumerRecord<byte[], byte[]>>> until) {
        Predicate<ConsumerRecord<byte[], byte[]>> mine = r -> new String(r.key()).startsWith(id + "-")
                && events.decode(r.value()).getPayload() instanceof RunTriggered t && t.getRequestedBy().equals("schedule:" + id);
        return TopicProbe.readUntil(kafka.bootstrapServers(), Topics.RUN_EVENTS.name(), within,
                        seen -> until.test(seen.stream().filter(mine).toList()))
                .stream().filter(mine).toList();
    }

    static String create(String id, String cron, String catchUp) throws Exception {
        return meshctl("schedule", "create", id, "--cron", cron, "--grant", operatorGrant.getGrantId(),
                "--source", "/data/credit-g.csv", "--stage", "row-validation", "--catch-up", catchUp);
    }

    @Test
    @Order(1)
    void aScheduleFiresOnTimeAndEachFireIsOneRunWithTwoSchedulersRunning() throws Exception {
        String created = create("every2s", "*/2 * * * * ?", "SKIP");
        assertTrue(created.contains("schedule every2s created; next fire"), created);
        List<ConsumerRecord<byte[], byte[]>> fired = triggers("every2s", Duration.ofSeconds(60), seen -> seen.size() >= 5);
        Map<String, Long> perRun = fired.stream().collect(Collectors.groupingBy(r -> new String(r.key()), TreeMap::new,
                Collectors.counting()));
        assertTrue(perRun.size() >= 5, "fires: " + perRun);
        assertTrue(perRun.values().stream().allMatch(n -> n == 1), "each fire is one run, once: " + perRun);
        for (ConsumerRecord<byte[], byte[]> r : fired) {
            RunEvent e = events.decode(r.value());
            String runId = e.getEnvelope().getRunId();
            long lateMs = r.timestamp() - fireTime(runId, "every2s").toEpochMilli();
            assertTrue(lateMs >= 0 && lateMs < 2_000, runId + " published " + lateMs + " ms after its fire time");
            assertEquals(operatorGrant.getGrantId(), e.getEnvelope().getGrantId());
        }
        String show = meshctl("schedule", "show", "every2s");
        assertTrue(show.contains("TRIGGERED") && show.contains("every2s-"), show);
        String list = meshctl("schedule", "list");
        assertTrue(list.contains("every2s") && list.contains("ACTIVE"), list);
        meshctl("schedule", "pause", "every2s");
    }

    @Test
    @Order(2)
    void firesMissedWhileNoSchedulerRanFollowTheCatchUpPolicy() throws Exception {
        services.kill("scheduler");
        services.kill("scheduler-2");
        create("catch-once", "*/2 * * * * ?", "RUN_ONCE");
        create("catch-skip", "*/2 * * * * ?", "SKIP");
        MeshServices.sleep(ON_TIME.plusSeconds(5).toMillis()); // several fires missed, all later than on-time
        services.start(MeshServices.SCHEDULER, "scheduler", kafka.bootstrapServers(), config(), Duration.ofMinutes(2));

        // A catch-up run is published later than on-time after its fire time; an on-time one is not.
        Predicate<ConsumerRecord<byte[], byte[]>> late = r -> r.timestamp() - fireTime(new String(r.key()),
                new String(r.key()).startsWith("catch-once") ? "catch-once" : "catch-skip").toEpochMilli() > ON_TIME.toMillis();
        List<ConsumerRecord<byte[], byte[]>> once = triggers("catch-once", Duration.ofSeconds(45),
                seen -> seen.stream().anyMatch(late) && seen.stream().anyMatch(late.negate()));
        assertEquals(1, once.stream().filter(late).count(), "RUN_ONCE: one run for all the missed fires: "
                + once.stream().map(r -> new String(r.key())).toList());
        assertTrue(once.stream().anyMatch(late.negate()), "and on time after it");

        List<ConsumerRecord<byte[], byte[]>> skip = triggers("catch-skip", Duration.ofSeconds(10),
                seen -> seen.stream().anyMatch(late.negate()));
        assertEquals(0, skip.stream().filter(late).count(), "SKIP: no run for a missed fire");
        assertTrue(skip.stream().anyMatch(late.negate()), "and on time after it");
        String show = meshctl("schedule", "show", "catch-skip");
        assertTrue(show.contains("SKIPPED") && show.contains("missed while no scheduler ran"), show);
        meshctl("schedule", "delete", "catch-once");
        meshctl("schedule", "delete", "catch-skip");
        assertFalse(meshctl("schedule", "list").contains("catch-once"), "a deleted schedule is gone");
    }

    @Test
    @Order(3)
    void revokingTheOperatorsGrantRefusesTheNextFireAndRecordsIt() throws Exception {
        create("revocable", "*/2 * * * * ?", "SKIP");
        triggers("revocable", Duration.ofSeconds(30), seen -> !seen.isEmpty());
        try (GrantPublisher publisher = new GrantPublisher(kafka.bootstrapServers(),
                SerdeSettings.kafkaTopicStore(kafka.bootstrapServers()), "principal")) {
            publisher.publish(Grants.revoke(operatorGrant.getGrantId(), GrantKeys.load(KEYS, PrincipalTools.PRINCIPAL),
                    "principal", "the operator left"));
        }
        Instant revoked = Instant.now();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String show = "";
        while (!show.contains("REFUSED") && System.nanoTime() < deadline) {
            MeshServices.sleep(500);
            show = meshctl("schedule", "show", "revocable");
        }
        assertTrue(show.contains("REFUSED") && show.contains("revoked"), show);
        MeshServices.sleep(3_000);
        List<ConsumerRecord<byte[], byte[]>> after = triggers("revocable", Duration.ofSeconds(5), seen -> false).stream()
                .filter(r -> Instant.ofEpochMilli(r.timestamp()).isAfter(revoked.plusSeconds(1))).toList();
        assertEquals(List.of(), after.stream().map(r -> new String(r.key())).toList(), "no run after the revocation");
    }

    static Instant fireTime(String runId, String scheduleId) {
        return Instant.parse(runId.substring(scheduleId.length() + 1).replaceFirst(
                "(\\d{4})(\\d{2})(\\d{2})T(\\d{2})(\\d{2})(\\d{2})Z", "$1-$2-$3T$4:$5:$6Z"));
    }
}
