package dev.agentmesh.meshctl;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.dataset.DatasetWriter;
import dev.agentmesh.data.Split;
import dev.agentmesh.embedded.KafkaCluster;
import dev.agentmesh.fanout.SweepDecider;
import dev.agentmesh.gate.ModelDeployed;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.run.DatasetPublished;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.team.GateDecider;
import dev.agentmesh.topics.Topics;
import dev.agentmesh.training.ModelRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.header.Header;
import dev.agentmesh.core.MeshHeaders;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fault-injection suite: a three-broker KRaft cluster as processes (replication factor 3, min.insync.replicas 2),
 * every service as a supervised process, nightly runs in flight, and a driver that SIGKILLs a random service every few
 * seconds and restarts the brokers one at a time. Afterwards an independent checker reads the log read_committed and
 * checks every run's effects. The default suite runs a short storm; {@code mvn -Pfaults verify} the long one
 * (sizes from {@code mesh.faults.*}).
 */
class FaultsIT {

    static final Path ROOT = MeshServices.repoRoot();
    static final Path WORK = ROOT.resolve("tools/meshctl/target/faults-it-" + ProcessHandle.current().pid());
    static final Path KEYS = WORK.resolve("keys");

    static final int KILLS = Integer.getInteger("mesh.faults.kills", 4);
    static final int BROKER_RESTARTS = Integer.getInteger("mesh.faults.broker-restarts", 1);
    static final int IN_FLIGHT = Integer.getInteger("mesh.faults.in-flight", 2);
    static final Duration KILL_EVERY = Duration.parse(System.getProperty("mesh.faults.kill-every", "PT5S"));
    static final Duration SETTLE = Duration.ofMinutes(Integer.getInteger("mesh.faults.settle-minutes", 6));

    static KafkaCluster cluster;
    static MeshServices services;
    static RunStateClient runState;
    static GrantIssued operatorGrant;
    static NightlyRuns nightly;
    static final List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void startMesh() throws Exception {
        Files.createDirectories(WORK);
        cluster = KafkaCluster.start(3, WORK.resolve("cluster"));
        String bootstrap = cluster.bootstrapServers();
        services = new MeshServices(ROOT, WORK);
        Map<String, Map<String, String>> config = PrincipalTools.meshConfig(KEYS, bootstrap);
        services.startAll(MeshServices.SERVICES, bootstrap, config, Duration.ofMinutes(4));
        services.start("trainer", "trainer-2", bootstrap, PrincipalTools.serviceConfig(KEYS), Duration.ofMinutes(3));
        services.supervise(said::add);
        operatorGrant = PrincipalTools.issueNightlyGrant(bootstrap, KEYS);
        runState = new RunStateClient(services.get("run-state").url());
        nightly = new NightlyRuns(bootstrap, KEYS, operatorGrant, WORK,
                new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap)));
    }

    @AfterAll
    static void stopMesh() {
        if (services != null) {
            services.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    static Optional<RunState> state(String runId) {
        try {
            return runState.get(runId);
        } catch (RuntimeException e) {
            return Optional.empty(); // run-state is being restarted
        }
    }

    @Test
    void everyRunEndsAndEveryEffectHappensOnceThroughServiceKillsAndBrokerRestarts() throws Exception {
        String bootstrap = cluster.bootstrapServers();
        Random random = new Random(42);
        List<String> runs = new ArrayList<>();
        Map<String, Integer> killsByService = new TreeMap<>();
        List<Duration> brokerRecoveries = new ArrayList<>();
        int kills = 0;
        int brokerRestarts = 0;
        int killsPerBrokerRestart = Math.max(1, KILLS / Math.max(1, BROKER_RESTARTS));
        long started = System.nanoTime();
        while (kills < KILLS || brokerRestarts < BROKER_RESTARTS) {
            long inFlight = runs.stream().filter(r -> state(r).map(s -> !NightlyRuns.settled(s)).orElse(true)).count();
            while (inFlight++ < IN_FLIGHT) {
                runs.add(nightly.trigger("fault-" + (runs.size() + 1)));
            }
            MeshServices.sleep(KILL_EVERY.toMillis());
            if (kills < KILLS) {
                List<String> up = services.names().stream()
                        .filter(n -> services.get(n) != null && services.get(n).process().isAlive()).toList();
                if (!up.isEmpty()) {
                    String victim = up.get(random.nextInt(up.size()));
                    services.get(victim).process().destroyForcibly();
                    killsByService.merge(victim, 1, Integer::sum);
                    kills++;
                }
            }
            if (brokerRestarts < BROKER_RESTARTS && (kills >= KILLS || kills % killsPerBrokerRestart == 0)) {
                int node = 1 + brokerRestarts % cluster.size();
                long down = System.nanoTime();
                cluster.kill(node);
                MeshServices.sleep(2_000);
                cluster.start(node, Duration.ofMinutes(2));
                brokerRecoveries.add(Duration.ofNanos(System.nanoTime() - down));
                brokerRestarts++;
            }
        }
        Duration storm = Duration.ofNanos(System.nanoTime() - started);

        // the storm is over: every run must reach an end on its own
        long deadline = System.nanoTime() + SETTLE.toNanos();
        Map<String, RunState> finals = new LinkedHashMap<>();
        while (System.nanoTime() < deadline && finals.size() < runs.size()) {
            for (String run : runs) {
                if (!finals.containsKey(run)) {
                    state(run).filter(NightlyRuns::settled).ifPresent(s -> finals.put(run, s));
                }
            }
            MeshServices.sleep(500);
        }

        Checker checker = new Checker(bootstrap);
        List<String> violations = new ArrayList<>();
        for (String run : runs) {
            RunState s = finals.get(run);
            if (s == null) {
                violations.add(run + ": never ended (last: " + state(run).map(RunState::status).orElse(null) + ")");
                continue;
            }
            violations.addAll(checker.check(run, s));
            String verify = MeshFlowIT.meshctl("replay", "--run", run, "--verify", "--bootstrap", bootstrap,
                    "--run-state-url", services.get("run-state").url());
            checker.invariants++;
            if (!verify.contains("verified: identical to the live state")) {
                violations.add(run + ": replay --verify differs from the live state: "
                        + verify.lines().filter(l -> l.startsWith("verified") || l.contains("differ")).toList());
            }
        }

        List<Long> recovery = services.restarts().stream().map(r -> r.downFor().toMillis()).sorted().toList();
        List<Long> startToReady = services.restarts().stream().map(r -> r.startToReady().toMillis()).sorted().toList();
        String table = table(storm, kills, killsByService, brokerRestarts, brokerRecoveries, recovery, startToReady, runs,
                finals, checker, violations);
        System.out.println(table);
        Files.writeString(ROOT.resolve("tools/meshctl/target/faults-report.txt"), table);

        assertTrue(kills >= KILLS && brokerRestarts >= BROKER_RESTARTS, table);
        assertEquals(List.of(), violations, table);
    }

    static String table(Duration storm, int kills, Map<String, Integer> killsByService, int brokerRestarts,
                        List<Duration> brokerRecoveries, List<Long> recovery, List<Long> startToReady, List<String> runs,
                        Map<String, RunState> finals, Checker checker, List<String> violations) {
        Map<RunStatus, Long> outcomes = finals.values().stream()
                .collect(Collectors.groupingBy(RunState::status, TreeMap::new, Collectors.counting()));
        StringBuilder out = new StringBuilder();
        out.append("fault-injection suite: 3 KRaft brokers (RF 3, min.insync.replicas 2), ")
                .append(services.names().size()).append(" service processes, supervised\n");
        out.append(String.format("%-40s %s%n", "storm", storm.withNanos(0)));
        out.append(String.format("%-40s %d %s%n", "service kills (SIGKILL)", kills, killsByService));
        out.append(String.format("%-40s %d%n", "service restarts by the supervisor", recovery.size()));
        out.append(String.format("%-40s p50 %d ms, p99 %d ms, max %d ms%n", "death to ready again (backoff included)",
                percentile(recovery, 0.5), percentile(recovery, 0.99), recovery.isEmpty() ? 0 : recovery.get(recovery.size() - 1)));
        out.append(String.format("%-40s p50 %d ms, p99 %d ms, max %d ms%n", "restart to ready (process start to ready)",
                percentile(startToReady, 0.5), percentile(startToReady, 0.99),
                startToReady.isEmpty() ? 0 : startToReady.get(startToReady.size() - 1)));
        out.append(String.format("%-40s %s%n", "slowest starts (service: start to ready)", services.restarts().stream()
                .sorted(Comparator.comparing(MeshServices.Restart::startToReady).reversed()).limit(8)
                .map(r -> r.name() + ": " + r.startToReady().toMillis() + " ms").toList()));
        out.append(String.format("%-40s %d %s%n", "broker restarts (SIGKILL, then start)", brokerRestarts,
                brokerRecoveries.stream().map(d -> d.toMillis() + " ms").toList()));
        out.append(String.format("%-40s %d %s%n", "runs", runs.size(), outcomes));
        out.append(String.format("%-40s %d%n", "invariants checked", checker.invariants));
        out.append(String.format("%-40s %d (records written again under an event id already in the log, applied once)%n",
                "redelivered copies", checker.redelivered));
        out.append(String.format("%-40s %d%n", "violations", violations.size()));
        violations.forEach(v -> out.append("  ").append(v).append('\n'));
        return out.toString();
    }

    static long percentile(List<Long> sorted, double p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    /** Reads the log as any consumer of the mesh would (read_committed) and checks one run's effects. */
    static final class Checker {
        static final Set<String> TRANSACTIONAL_STAGES = Set.copyOf(Stages.INGEST);
        final List<ConsumerRecord<byte[], byte[]>> runEvents;
        final List<ConsumerRecord<byte[], byte[]>> validatedRows;
        final MeshCodec<RunEvent> events;
        final MeshCodec<DataRow> rows;
        int invariants;
        long redelivered;

        Checker(String bootstrap) {
            this.runEvents = committed(bootstrap, Topics.RUN_EVENTS.name());
            this.validatedRows = committed(bootstrap, Topics.ROWS_VALIDATED.name());
            this.events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
            this.rows = new MeshCodec<>(Topics.ROWS_VALIDATED, SerdeSettings.kafkaTopicStore(bootstrap));
        }

        List<String> check(String runId, RunState state) {
            List<String> violations = new ArrayList<>();
            List<RunEvent> run = runEvents.stream().filter(r -> runId.equals(key(r)) && r.value() != null
                    && r.value().length <= MeshCodec.MAX_RECORD_BYTES).map(r -> events.decode(r.value())).toList();
            Map<String, List<RunEvent>> byId = run.stream().collect(Collectors.groupingBy(e -> e.getEnvelope().getEventId()));
            redelivered += run.size() - byId.size();

            // one trace context per record: the messaging instrumentation's or the mesh's, never both
            invariants++;
            runEvents.stream().filter(r -> runId.equals(key(r))).forEach(r -> {
                int contexts = 0;
                for (Header h : r.headers().headers(MeshHeaders.TRACE_PARENT)) {
                    contexts++;
                }
                if (contexts > 1) {
                    violations.add(runId + ": " + contexts + " traceparent headers on the record at offset " + r.offset());
                }
            });

            invariants++;
            if (state.status() == RunStatus.FAILED && state.stages().values().stream().noneMatch(s -> s.reason() != null)) {
                violations.add(runId + ": failed with no recorded reason");
            }

            // the stages of stage 1 write in transactions with their input's offset: each completes once per attempt
            Map<String, Long> completions = run.stream()
                    .filter(e -> e.getPayload() instanceof StageCompleted c && TRANSACTIONAL_STAGES.contains(c.getStage()))
                    .collect(Collectors.groupingBy(e -> ((StageCompleted) e.getPayload()).getStage() + "#"
                            + e.getEnvelope().getAttempt(), Collectors.counting()));
            invariants++;
            completions.forEach((stage, count) -> {
                if (count != 1) {
                    violations.add(runId + ": " + stage + " completed " + count + " times in the log");
                }
            });

            // validated rows: exactly the rows the stage reported valid, each once in the log (not just once distinct)
            StageCompleted validation = (StageCompleted) run.stream().map(RunEvent::getPayload)
                    .filter(p -> p instanceof StageCompleted c && c.getStage().equals(Stages.ROW_VALIDATION))
                    .findFirst().orElse(null);
            if (validation != null) {
                invariants++;
                List<String> rowIds = validatedRows.stream().filter(r -> runId.equals(key(r)))
                        .map(r -> rows.decode(r.value()).getEnvelope().getEventId()).toList();
                long distinct = rowIds.stream().distinct().count();
                if (rowIds.size() != validation.getCounts().get("rows.out") || distinct != rowIds.size()) {
                    violations.add(runId + ": " + rowIds.size() + " validated rows in the log (" + distinct
                            + " distinct), but the stage reported " + validation.getCounts().get("rows.out"));
                }
            }

            // one dataset per run attempt, and its files hash to what was announced
            Map<Integer, Set<String>> datasets = new TreeMap<>();
            run.stream().filter(e -> e.getPayload() instanceof DatasetPublished).forEach(e -> datasets
                    .computeIfAbsent(e.getEnvelope().getAttempt(), a -> new java.util.TreeSet<>())
                    .add(((DatasetPublished) e.getPayload()).getChecksum()));
            invariants++;
            datasets.forEach((attempt, checksums) -> {
                if (checksums.size() != 1) {
                    violations.add(runId + ": attempt " + attempt + " announced " + checksums.size() + " datasets " + checksums);
                }
            });
            run.stream().filter(e -> e.getPayload() instanceof DatasetPublished).map(e -> (DatasetPublished) e.getPayload())
                    .distinct().forEach(d -> {
                        invariants++;
                        String actual = DatasetWriter.checksum(Arrays.stream(Split.values())
                                .map(s -> Path.of(URI.create(d.getSplits().get(s.name().toLowerCase())))).toList());
                        if (!actual.equals(d.getChecksum())) {
                            violations.add(runId + ": dataset " + d.getLocation() + " hashes to " + actual + ", announced " + d.getChecksum());
                        }
                    });

            // one result per cell attempt, and every recorded checksum matches its bytes
            Map<String, Set<String>> results = new TreeMap<>();
            for (RunEvent e : run) {
                if (e.getPayload() instanceof CellCompleted c) {
                    results.computeIfAbsent(c.getCellId() + "#" + e.getEnvelope().getAttempt(), k -> new java.util.TreeSet<>())
                            .add(c.getCheckpointChecksum());
                    invariants++;
                    Path file = Path.of(URI.create(c.getCheckpoint()));
                    if (!Files.isRegularFile(file) || !ModelRegistry.sha256(file).equals(c.getCheckpointChecksum())) {
                        violations.add(runId + ": checkpoint " + file + " does not match its recorded checksum");
                    }
                }
            }
            invariants++;
            results.forEach((cell, checksums) -> {
                if (checksums.size() != 1) {
                    violations.add(runId + ": cell attempt " + cell + " reported " + checksums.size() + " different checkpoints");
                }
            });

            // at most one deployment per run
            invariants++;
            long deployments = run.stream().filter(e -> e.getPayload() instanceof ModelDeployed)
                    .map(e -> e.getEnvelope().getEventId()).distinct().count();
            if (deployments > 1) {
                violations.add(runId + ": deployed " + deployments + " times");
            }
            if (state.status() == RunStatus.COMPLETED && deployments == 0 && state.gate() != null
                    && "SHIP".equals(state.gate().decision() == null ? null : state.gate().decision().disposition())) {
                violations.add(runId + ": shipped but no deployment in the log");
            }
            return violations;
        }

        static String key(ConsumerRecord<byte[], byte[]> r) {
            return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        }

        static List<ConsumerRecord<byte[], byte[]>> committed(String bootstrap, String topic) {
            return read(bootstrap, topic, "read_committed");
        }

        /** Every record of {@code topic} a reader at {@code isolation} sees, from the beginning to the end as of now. */
        static List<ConsumerRecord<byte[], byte[]>> read(String bootstrap, String topic, String isolation) {
            List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation,
                    ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
                List<TopicPartition> partitions = new ArrayList<>();
                for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                    partitions.add(new TopicPartition(topic, p.partition()));
                }
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p)) && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(all::add);
                }
            }
            return all;
        }
    }
}
