package dev.agentmesh.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.TransactionGenerator;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.fanout.SweepDecider;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.meshctl.MeshServices;
import dev.agentmesh.meshctl.PrincipalTools;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.run.StageStarted;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Concurrent runs and stage hand-offs on one mesh: the four stage-1 services, the sweep orchestrator and two trainers
 * as separate JVMs on an embedded broker. Small generated runs (stage 1 and a one-cell sweep) are triggered alone, then
 * 10 and 50 at once; each run's latency runs from its trigger to its sweep's verdict. A stage hand-off is
 * {@code StageCompleted(previous)} to {@code StageStarted(next)}. Baseline, same broker, same run: a bare
 * consume→produce hop (a group consumer forwarding each record with an idempotent, acks=all producer); and the same
 * hop with each input record committed in a transaction of its own, as a stage's completion is: the floor of an
 * exactly-once hand-off on the same broker.
 *
 * <p>Arguments: the JSON result file, rows per run, runs alone, waves (comma-separated sizes).
 */
public final class ConcurrentRuns {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static void main(String[] args) throws Exception {
        Path resultFile = Path.of(args[0]);
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int alone = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        List<Integer> waves = args.length > 3
                ? List.of(args[3].split(",")).stream().map(Integer::parseInt).toList() : List.of(10, 50);
        Path root = MeshServices.repoRoot();
        Path work = resultFile.getParent().resolve("concurrent-runs-" + ProcessHandle.current().pid());
        Path keys = work.resolve("keys");
        Files.createDirectories(work);
        Path csv = work.resolve("transactions.csv");
        var table = TransactionGenerator.generate(new TransactionGenerator.Spec(rows, 7, 0, 0));
        StringBuilder text = new StringBuilder(String.join(",", table.header())).append('\n');
        for (Map<String, String> row : table.rows()) {
            text.append(table.header().stream().map(h -> row.getOrDefault(h, "")).collect(Collectors.joining(","))).append('\n');
        }
        Files.writeString(csv, text);
        Path grid = work.resolve("one-cell.yaml");
        Files.writeString(grid, """
                name: one-cell
                architectures:
                  - name: logistic
                    kind: logistic
                learning_rates: [0.1]
                batch_sizes: [64]
                epochs: 2
                seed: 42
                policy:
                  max_concurrency: 1
                  cell_timeout: PT60S
                  queue_timeout: PT5M
                  max_attempts: 2
                  min_successes: 1
                  on_partial: fail
                  mode: gather
                  cell_cost_estimate_ms: 2000
                """);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("rowsPerRun", rows);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(); MeshServices services = new MeshServices(root, work)) {
            String bootstrap = kafka.bootstrapServers();
            Map<String, String> trust = PrincipalTools.serviceConfig(keys);
            List<String> names = List.of("row-validator", "feature-extractor", "schema-checker", "publisher",
                    "sweep-orchestrator", "trainer");
            Map<String, Map<String, String>> config = new LinkedHashMap<>();
            names.forEach(n -> config.put(n, trust));
            config.put("sweep-orchestrator", PrincipalTools.orchestratorConfig(keys));
            services.startAll(names, bootstrap, config, Duration.ofMinutes(4));
            services.start("trainer", "trainer-2", bootstrap, trust, Duration.ofMinutes(2));

            Map<String, Object> bare = bareHop(bootstrap, 200, false);
            Map<String, Object> committedCue = bareHop(bootstrap, 200, true);
            result.put("bareHopMs", bare);
            result.put("committedCueHopMs", committedCue);
            GrantIssued operator = PrincipalTools.issueNightlyGrant(bootstrap, keys);
            MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
            try (Tail tail = new Tail(bootstrap, codec);
                 KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
                Trigger trigger = new Trigger(bootstrap, keys, operator, codec, producer, csv, grid);
                wave(tail, trigger, "warm-up", 3);
                List<Long> single = new ArrayList<>();
                List<Map<String, Long>> handoffs = new ArrayList<>();
                for (int i = 0; i < alone; i++) {
                    List<String> run = wave(tail, trigger, "alone-" + i, 1);
                    single.add(tail.latencyMs(run.get(0)));
                    handoffs.add(tail.handoffsMs(run.get(0)));
                }
                result.put("alone", Stats.of(single));
                Map<String, Object> aloneHandoffs = handoffStats(handoffs);
                result.put("handoffsAloneMs", aloneHandoffs);
                long handoffP50 = p50(aloneHandoffs.get("all stage-to-stage"));
                result.put("handoffP50OverBareHopP50", handoffP50 / (double) Math.max(1, p50(bare)));
                result.put("handoffP50OverCommittedCueHopP50", handoffP50 / (double) Math.max(1, p50(committedCue)));
                Map<String, Object> byWave = new LinkedHashMap<>();
                for (int size : waves) {
                    Map<String, Long> perService0 = cpuByService(services);
                    long cpu0 = cpuNanos(services);
                    long own0 = ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
                    long wall0 = System.nanoTime();
                    List<String> run = wave(tail, trigger, "wave-" + size, size);
                    double capacity = (double) (System.nanoTime() - wall0) * Runtime.getRuntime().availableProcessors();
                    double busy = (cpuNanos(services) - cpu0) / capacity;
                    double own = (ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L) - own0)
                            / capacity;
                    List<Long> latencies = run.stream().map(tail::latencyMs).toList();
                    Map<String, Object> w = new LinkedHashMap<>(Stats.of(latencies));
                    w.put("p99OverAloneP99", Stats.percentile(latencies, 99) / (double) Stats.percentile(single, 99));
                    w.put("meshCpuShareOfMachine", busy);
                    Map<String, Long> cpuMsPerRun = new LinkedHashMap<>();
                    cpuByService(services).forEach((name, ns) ->
                            cpuMsPerRun.put(name, (ns - perService0.getOrDefault(name, 0L)) / 1_000_000 / size));
                    w.put("cpuMsPerRunByService", cpuMsPerRun);
                    w.put("brokerAndHarnessCpuShareOfMachine", own);
                    w.put("handoffsMs", handoffStats(run.stream().map(tail::handoffsMs).toList()));
                    byWave.put(String.valueOf(size), w);
                    System.out.printf("%d at once: %s%n", size, w);
                }
                result.put("waves", byWave);
                long idle0 = cpuNanos(services);
                long idleWall0 = System.nanoTime();
                Thread.sleep(10_000);
                result.put("idleMeshCpuShareOfMachine", (cpuNanos(services) - idle0)
                        / ((double) (System.nanoTime() - idleWall0) * Runtime.getRuntime().availableProcessors()));
            }
        }
        JSON.writeValue(resultFile.toFile(), result);
        System.out.println(JSON.writeValueAsString(result));
        System.out.println("result: " + resultFile);
    }

    private static long p50(Object stats) {
        return (Long) ((Map<?, ?>) stats).get("p50");
    }

    /** Triggers {@code size} runs back to back and waits until every one has its verdict. */
    private static List<String> wave(Tail tail, Trigger trigger, String name, int size) throws Exception {
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            runs.add(name + "-" + i + "-" + UUID.randomUUID().toString().substring(0, 8));
        }
        for (String runId : runs) {
            trigger.grant(runId);
        }
        for (String runId : runs) {
            trigger.send(runId);
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        for (String runId : runs) {
            while (!tail.finished(runId)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("run " + runId + " did not finish: " + tail.events(runId));
                }
                Thread.sleep(20);
            }
            String failure = tail.failure(runId);
            if (failure != null) {
                throw new IllegalStateException("run " + runId + " failed: " + failure);
            }
        }
        return runs;
    }

    /** CPU time the mesh's service processes have used so far (the broker runs in this JVM and is not counted). */
    private static long cpuNanos(MeshServices services) {
        return services.names().stream().map(services::get)
                .mapToLong(r -> r.process().info().totalCpuDuration().map(Duration::toNanos).orElse(0L)).sum();
    }

    private static Map<String, Long> cpuByService(MeshServices services) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String name : services.names()) {
            out.put(name, services.get(name).process().info().totalCpuDuration().map(Duration::toNanos).orElse(0L));
        }
        return out;
    }

    private static Map<String, Object> handoffStats(List<Map<String, Long>> perRun) {
        Map<String, List<Long>> byHop = new LinkedHashMap<>();
        perRun.forEach(m -> m.forEach((hop, ms) -> byHop.computeIfAbsent(hop, h -> new ArrayList<>()).add(ms)));
        Map<String, Object> out = new LinkedHashMap<>();
        byHop.forEach((hop, ms) -> out.put(hop, Stats.of(ms)));
        out.put("all stage-to-stage", Stats.of(byHop.entrySet().stream().filter(e -> !e.getKey().startsWith("trigger"))
                .flatMap(e -> e.getValue().stream()).toList()));
        return out;
    }

    /**
     * The baseline: records forwarded one by one from one topic to another by a group consumer and a producer, timed
     * from the input record's timestamp to the output's. With {@code committedInput} each input record is written in
     * a transaction of its own, so the forwarder ({@code read_committed}) sees it only once that commits.
     */
    private static Map<String, Object> bareHop(String bootstrap, int hops, boolean committedInput) throws Exception {
        String name = committedInput ? "bench.txhop" : "bench.hop";
        String in = name + ".in";
        String out = name + ".out";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(in, 1, (short) 1), new NewTopic(out, 1, (short) 1))).all().get();
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread forwarder = new Thread(() -> {
            try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrap, name);
                 KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
                consumer.subscribe(List.of(in));
                while (!stop.get()) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        producer.send(new ProducerRecord<>(out, r.key(), r.value())).get();
                        consumer.commitSync();
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, name);
        forwarder.start();
        List<Long> ms = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = committedInput
                ? transactionalProducer(bootstrap, name + "-input") : producer(bootstrap);
             KafkaConsumer<String, byte[]> reader = consumer(bootstrap, name + "-reader")) {
            reader.subscribe(List.of(out));
            Map<String, Long> sent = new ConcurrentHashMap<>();
            for (int i = 0; i < hops + 20; i++) {
                String key = "hop-" + i;
                if (committedInput) {
                    producer.beginTransaction();
                }
                long ts = producer.send(new ProducerRecord<>(in, key, new byte[100])).get().timestamp();
                if (committedInput) {
                    producer.commitTransaction();
                }
                sent.put(key, ts);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                boolean seen = false;
                while (!seen && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(20))) {
                        if (r.key().equals(key)) {
                            seen = true;
                            if (i >= 20) {
                                ms.add(r.timestamp() - sent.get(key));
                            }
                        }
                    }
                }
                Thread.sleep(10);
            }
        } finally {
            stop.set(true);
            forwarder.join();
        }
        return Stats.of(ms);
    }

    private static KafkaProducer<String, byte[]> transactionalProducer(String bootstrap, String transactionalId) {
        Map<String, Object> config = new LinkedHashMap<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config);
        producer.initTransactions();
        return producer;
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
    }

    static KafkaConsumer<String, byte[]> consumer(String bootstrap, String group) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
    }

    /** Publishes a run's sweep grant and its trigger. */
    private record Trigger(String bootstrap, Path keys, GrantIssued operator, MeshCodec<RunEvent> codec,
                           KafkaProducer<String, byte[]> producer, Path csv, Path grid,
                           Map<String, String> sweepGrants) {
        Trigger(String bootstrap, Path keys, GrantIssued operator, MeshCodec<RunEvent> codec,
                KafkaProducer<String, byte[]> producer, Path csv, Path grid) {
            this(bootstrap, keys, operator, codec, producer, csv, grid, new ConcurrentHashMap<>());
        }

        void grant(String runId) {
            sweepGrants.put(runId, PrincipalTools.issueSweepGrant(bootstrap, keys, operator, "run:" + runId, 600_000L)
                    .getGrantId());
        }

        void send(String runId) throws Exception {
            Envelope envelope = new Envelopes("bench", "bench").origin(runId, operator.getGrantId());
            RunEvent trigger = RunEvents.triggered(envelope, "nightly", "bench", SourceKind.CSV, csv.toString(),
                    "transactions", Stages.INGEST_AND_TRAIN, Map.of(SweepDecider.PARAM_GRANT, sweepGrants.get(runId),
                            SweepDecider.PARAM_GRID, grid.toString()));
            producer.send(new ProducerRecord<>(Topics.RUN_EVENTS.name(), runId, codec.encode(trigger))).get();
        }
    }

    /** Every run event since the harness started, by run. */
    private static final class Tail implements AutoCloseable {
        private final Map<String, List<RunEvent>> byRun = new ConcurrentHashMap<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        Tail(String bootstrap, MeshCodec<RunEvent> codec) {
            thread = new Thread(() -> {
                try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrap, "bench-tail-" + UUID.randomUUID())) {
                    consumer.subscribe(List.of(Topics.RUN_EVENTS.name()));
                    while (!stop.get()) {
                        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                            try {
                                RunEvent e = codec.decode(r.value());
                                byRun.computeIfAbsent(e.getEnvelope().getRunId(), k -> new ArrayList<>()).add(e);
                            } catch (RuntimeException notARunEvent) {
                                // hostile or foreign records are not this harness's business
                            }
                        }
                    }
                }
            }, "run-events-tail");
            thread.start();
        }

        List<RunEvent> events(String runId) {
            return List.copyOf(byRun.getOrDefault(runId, List.of()));
        }

        boolean finished(String runId) {
            return failure(runId) != null || events(runId).stream().anyMatch(e -> e.getPayload() instanceof SweepFinished);
        }

        String failure(String runId) {
            return events(runId).stream().filter(e -> e.getPayload() instanceof StageFailed)
                    .map(e -> String.valueOf(e.getPayload())).findFirst().orElse(null);
        }

        long latencyMs(String runId) {
            List<RunEvent> events = events(runId);
            Instant start = events.get(0).getEnvelope().getOccurredAt();
            Instant end = events.stream().filter(e -> e.getPayload() instanceof SweepFinished).findFirst().orElseThrow()
                    .getEnvelope().getOccurredAt();
            return Duration.between(start, end).toMillis();
        }

        /** trigger → row-validation started, and each StageCompleted(previous) → StageStarted(next). */
        Map<String, Long> handoffsMs(String runId) {
            List<RunEvent> events = events(runId);
            Map<String, Instant> completed = new LinkedHashMap<>();
            Map<String, Instant> started = new LinkedHashMap<>();
            for (RunEvent e : events) {
                if (e.getPayload() instanceof StageCompleted c) {
                    completed.putIfAbsent(c.getStage(), e.getEnvelope().getOccurredAt());
                } else if (e.getPayload() instanceof StageStarted s) {
                    started.putIfAbsent(s.getStage(), e.getEnvelope().getOccurredAt());
                }
            }
            Map<String, Long> out = new LinkedHashMap<>();
            Instant triggered = events.get(0).getEnvelope().getOccurredAt();
            if (started.containsKey(Stages.ROW_VALIDATION)) {
                out.put("trigger → " + Stages.ROW_VALIDATION, Duration.between(triggered, started.get(Stages.ROW_VALIDATION)).toMillis());
            }
            for (int i = 1; i < Stages.INGEST_AND_TRAIN.size(); i++) {
                String previous = Stages.INGEST_AND_TRAIN.get(i - 1);
                String next = Stages.INGEST_AND_TRAIN.get(i);
                if (completed.containsKey(previous) && started.containsKey(next)) {
                    out.put(previous + " → " + next, Duration.between(completed.get(previous), started.get(next)).toMillis());
                }
            }
            return out;
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join();
        }
    }

    /** p50, p99 and max of a list of milliseconds. */
    static final class Stats {
        static Map<String, Object> of(List<Long> ms) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("n", ms.size());
            m.put("p50", percentile(ms, 50));
            m.put("p99", percentile(ms, 99));
            m.put("max", ms.stream().mapToLong(Long::longValue).max().orElse(0));
            return m;
        }

        static long percentile(List<Long> ms, int p) {
            if (ms.isEmpty()) {
                return 0;
            }
            List<Long> sorted = ms.stream().sorted().toList();
            int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
        }
    }
}
