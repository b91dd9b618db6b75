package dev.agentmesh.meshctl;

import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.gate.GateDecided;
import dev.agentmesh.gate.ModelDeployed;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageStarted;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.sweep.SweepPlanned;
import dev.agentmesh.topics.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every role as two instances on the same topics: several nightly runs at once, one instance of every service killed
 * mid-run (not restarted). Every run must still end, every effect appear once, and every run be served by either
 * run-state instance while both are up, and by the survivor afterwards.
 */
class ScaleOutIT {

    static final Path ROOT = MeshServices.repoRoot();
    static final Path WORK = ROOT.resolve("tools/meshctl/target/scale-out-it-" + ProcessHandle.current().pid());
    static final Path KEYS = WORK.resolve("keys");
    static final int RUNS = Integer.getInteger("mesh.scale-out.runs", 4);
    static final String SECOND = "-2";

    static EmbeddedKafka kafka;
    static MeshServices services;

    @BeforeAll
    static void startMesh() throws Exception {
        Files.createDirectories(WORK);
        kafka = EmbeddedKafka.start();
        services = new MeshServices(ROOT, WORK);
        Map<String, Map<String, String>> config = PrincipalTools.meshConfig(KEYS, kafka.bootstrapServers());
        services.startAll(MeshServices.SERVICES, kafka.bootstrapServers(), config, Duration.ofMinutes(5));
        services.startAll(MeshServices.SERVICES, SECOND, kafka.bootstrapServers(), config, Duration.ofMinutes(5));
    }

    @AfterAll
    static void stopMesh() {
        if (services != null) {
            services.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void twoOfEveryServiceRunConcurrentRunsOnceAndAnyRunStateServesAnyRun() throws Exception {
        String bootstrap = kafka.bootstrapServers();
        GrantIssued operator = PrincipalTools.issueNightlyGrant(bootstrap, KEYS);
        MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        NightlyRuns nightly = new NightlyRuns(bootstrap, KEYS, operator, WORK, events);
        RunStateClient first = new RunStateClient(services.get("run-state").url());
        RunStateClient second = new RunStateClient(services.get("run-state" + SECOND).url());

        // runs on different partitions of the run events, so that every instance owns some of them
        List<String> runs = new ArrayList<>();
        Set<Integer> partitions = new HashSet<>();
        for (int i = 1; runs.size() < RUNS; i++) {
            if (partitions.add(RunLog.partitionOf("scale-" + i, Topics.RUN_EVENTS.partitions()))) {
                runs.add("scale-" + i);
            }
        }
        runs.forEach(nightly::trigger);

        // both run-state instances serve every run (each owns some partitions, and asks the other for the rest)
        awaitTrue(Duration.ofMinutes(2), "every run visible on both run-state instances", () ->
                runs.stream().allMatch(r -> state(first, r).isPresent() && state(second, r).isPresent())
                        && listed(first).containsAll(runs) && listed(second).containsAll(runs));
        for (String run : runs) {
            assertEquals(state(first, run).map(RunState::runId), state(second, run).map(RunState::runId));
        }

        // mid-run: the first instance of every service dies and is not restarted
        awaitTrue(Duration.ofMinutes(3), "a sweep under way", () -> runs.stream()
                .anyMatch(r -> state(second, r).map(s -> s.sweep() != null).orElse(false)));
        List<String> killed = new ArrayList<>(MeshServices.SERVICES);
        killed.forEach(services::kill);

        Map<String, RunState> finals = new LinkedHashMap<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
        while (finals.size() < runs.size() && System.nanoTime() < deadline) {
            for (String run : runs) {
                state(second, run).filter(NightlyRuns::settled).ifPresent(s -> finals.put(run, s));
            }
            MeshServices.sleep(500);
        }
        List<String> violations = new ArrayList<>();
        for (String run : runs) {
            if (!finals.containsKey(run)) {
                violations.add(run + ": never ended (last: " + state(second, run).map(RunState::status).orElse(null) + ")");
            }
        }
        assertTrue(listed(second).containsAll(runs), "the surviving run-state lists every run");

        FaultsIT.Checker checker = new FaultsIT.Checker(bootstrap);
        // the stage services shared the work: both instances of each started some of the runs' stages
        Map<String, Set<String>> instancesByRole = new TreeMap<>();
        checker.runEvents.stream().filter(r -> runs.contains(FaultsIT.Checker.key(r)))
                .map(r -> checker.events.decode(r.value())).filter(e -> e.getPayload() instanceof StageStarted)
                .forEach(e -> instancesByRole.computeIfAbsent(e.getEnvelope().getAgentRole(), k -> new TreeSet<>())
                        .add(e.getEnvelope().getAgentInstance()));
        for (String role : List.of("row-validator", "feature-extractor", "schema-checker", "publisher")) {
            assertTrue(instancesByRole.getOrDefault(role, Set.of()).size() >= 2,
                    role + " instances that started stages: " + instancesByRole.get(role));
        }
        for (String run : runs) {
            if (finals.containsKey(run)) {
                violations.addAll(checker.check(run, finals.get(run)));
            }
            List<RunEvent> log = checker.runEvents.stream().filter(r -> run.equals(FaultsIT.Checker.key(r)))
                    .map(r -> checker.events.decode(r.value())).toList();
            for (Class<?> decision : List.of(SweepPlanned.class, SweepFinished.class, GateDecided.class, ModelDeployed.class)) {
                Set<String> ids = log.stream().filter(e -> decision.isInstance(e.getPayload()))
                        .map(e -> e.getEnvelope().getEventId()).collect(Collectors.toSet());
                if (ids.size() > 1) {
                    violations.add(run + ": " + ids.size() + " different " + decision.getSimpleName() + " events");
                }
            }
        }
        assertEquals(List.of(), violations, "killed " + killed + "; finals " + finals.values().stream()
                .map(s -> s.runId() + "=" + s.status()).toList());
    }

    static Optional<RunState> state(RunStateClient client, String runId) {
        try {
            return client.get(runId);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    static List<String> listed(RunStateClient client) {
        try {
            return client.list().stream().map(m -> String.valueOf(m.get("runId"))).toList();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    static void awaitTrue(Duration within, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + within + ": " + what);
            }
            MeshServices.sleep(250);
        }
    }
}
