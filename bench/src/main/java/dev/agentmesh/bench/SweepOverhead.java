package dev.agentmesh.bench;

import dev.agentmesh.contract.TransactionGenerator;
import dev.agentmesh.sweep.CellStarted;
import java.io.IOException;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Collectors;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.dataset.DatasetReader;
import dev.agentmesh.dataset.LocalDataset;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.fanout.SweepDecider;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.meshctl.MeshServices;
import dev.agentmesh.meshctl.PrincipalTools;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellConfig;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.sweep.SweepPlanned;
import dev.agentmesh.topics.Topics;
import dev.agentmesh.training.CellTrainer;
import dev.agentmesh.training.StopSignal;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Orchestration overhead of a sweep, across real processes: the sweep orchestrator and two trainers as separate JVMs
 * on an embedded broker, the default 24-cell grid on credit-g. Overhead = (sweep wall time - longest chain of
 * training work) / sweep wall time, where the chain is the busiest trainer's time with at least one cell training
 * (its summed cell work when it trains one at a time). Baseline, in this JVM and the same run: the same 24 cells trained back to back, divided by the number
 * of trainers.
 *
 * <p>Arguments: measured sweeps (after one warm-up), epochs per cell, and the JSON result file.
 */
public final class SweepOverhead {

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]);
        int epochs = Integer.parseInt(args[1]);
        Path resultFile = Path.of(args[2]);
        int maxConcurrency = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        int trainers = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        String data = args.length > 5 ? args[5] : "credit-g";
        Path root = MeshServices.repoRoot();
        Path csv = root.resolveSibling("shared").resolve("data").resolve("credit-g.csv");
        Path work = resultFile.getParent().resolve("sweep-overhead-" + ProcessHandle.current().pid());
        Path keys = work.resolve("keys");
        Path grid = work.resolve("grid.yaml");
        Files.createDirectories(work);
        Files.writeString(grid, Files.readString(root.resolve("libs/mesh-domain/src/main/resources/sweeps/default.yaml"))
                .replace("epochs: 8", "epochs: " + epochs).replace("max_concurrency: 4", "max_concurrency: " + maxConcurrency));
        List<CellConfig> cells = SweepGrid.load(grid.toString()).cells(null);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("cells", cells.size());
        result.put("epochs", epochs);
        result.put("trainers", trainers);
        result.put("dataset", data);
        result.put("maxConcurrency", maxConcurrency);
        List<Map<String, Object>> measured = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(); MeshServices services = new MeshServices(root, work)) {
            String bootstrap = kafka.bootstrapServers();
            services.startAll(List.of("sweep-orchestrator", "trainer"), bootstrap, Map.of(
                    "sweep-orchestrator", PrincipalTools.orchestratorConfig(keys), "trainer", PrincipalTools.serviceConfig(keys)),
                    Duration.ofMinutes(3));
            for (int t = 2; t <= trainers; t++) {
                services.start("trainer", "trainer-" + t, bootstrap, PrincipalTools.serviceConfig(keys), Duration.ofMinutes(2));
            }
            GrantIssued operator = PrincipalTools.issueNightlyGrant(bootstrap, keys);
            MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
            for (int i = 0; i <= runs; i++) {
                String runId = "bench-sweep-" + i;
                String sweepGrant = PrincipalTools.issueSweepGrant(bootstrap, keys, operator, "run:" + runId, 3_600_000L).getGrantId();
                LocalDataset.Published dataset = dataset(data, csv, work.resolve("datasets").resolve(runId), runId);
                Envelope trigger = new Envelopes("bench", "bench").origin(runId, operator.getGrantId());
                send(bootstrap, codec, RunEvents.triggered(trigger, "nightly", "bench", SourceKind.CSV, csv.toString(),
                        "credit-g", List.of(Stages.SWEEP), Map.of(SweepDecider.PARAM_GRANT, sweepGrant,
                                SweepDecider.PARAM_GRID, grid.toString())));
                send(bootstrap, codec, new RunEvent(new Envelopes("publisher", "bench").causedBy(trigger, "published", 0),
                        dataset.announcement()));
                Map<String, Object> one = measure(bootstrap, codec, runId);
                System.out.printf("%s %s%n", i == 0 ? "warm-up" : "sweep " + i, one);
                if (i > 0) {
                    measured.add(one);
                }
            }
        }
        result.put("sweeps", measured);

        LocalDataset.Published dataset = dataset(data, csv, work.resolve("baseline"), "baseline");
        List<DatasetRow> train = DatasetReader.read(dataset.announcement().getSplits().get("train"));
        List<DatasetRow> validation = DatasetReader.read(dataset.announcement().getSplits().get("validation"));
        long t0 = 0;
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1) {
                t0 = System.nanoTime();
            }
            for (CellConfig cell : cells) {
                try {
                    CellTrainer.train(cell, dataset.schema().names(), train, validation, StopSignal.NEVER);
                } catch (RuntimeException failedAsInTheSweep) {
                    // the same cell fails the same way in the trainers; it still cost what it ran
                }
            }
        }
        long sequentialMs = (System.nanoTime() - t0) / 1_000_000;
        result.put("baselineSequentialInProcessMs", sequentialMs);
        result.put("baselineIdealWorkersMs", sequentialMs / trainers);
        double medianOverhead = measured.stream().mapToDouble(m -> (double) m.get("overheadShare")).sorted()
                .skip(measured.size() / 2).findFirst().orElse(Double.NaN);
        double medianWall = measured.stream().mapToDouble(m -> ((Number) m.get("wallMs")).doubleValue()).sorted()
                .skip(measured.size() / 2).findFirst().orElse(Double.NaN);
        result.put("medianOverheadShare", medianOverhead);
        result.put("medianWallOverIdealWorkers", medianWall / ((double) sequentialMs / trainers));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(resultFile.toFile(), result);
        System.out.printf("%nsweep overhead: median %.2f%% of wall time; wall / in-process baseline over %d workers = %.2f%n",
                100 * medianOverhead, trainers, medianWall / ((double) sequentialMs / trainers));
        System.out.println("result: " + resultFile);
    }

    /** credit-g from ../shared/data, or {@code transactions:<rows>} from the seeded generator (no bad rows, no drift). */
    private static LocalDataset.Published dataset(String data, Path creditG, Path directory, String runId) throws IOException {
        if (data.startsWith("transactions:")) {
            Path generated = directory.resolveSibling(runId + ".csv");
            Files.createDirectories(directory.getParent());
            var table = TransactionGenerator.generate(
                    new TransactionGenerator.Spec(Long.parseLong(data.substring(13)), 42, 0, 0));
            StringBuilder csv = new StringBuilder(String.join(",", table.header())).append('\n');
            for (Map<String, String> row : table.rows()) {
                csv.append(table.header().stream().map(h -> row.getOrDefault(h, "")).collect(Collectors.joining(","))).append('\n');
            }
            Files.writeString(generated, csv);
            return LocalDataset.publish(generated, DataContract.load("transactions"), directory, runId);
        }
        return LocalDataset.publish(creditG, DataContract.load("credit-g"), directory, runId);
    }

    /** How long at least one of {@code intervals} ([start, end] in ms) covers: their summed length when none overlap. */
    static long covered(List<long[]> intervals) {
        List<long[]> sorted = intervals.stream().sorted(Comparator.comparingLong(i -> i[0])).toList();
        long total = 0;
        long reach = Long.MIN_VALUE;
        for (long[] i : sorted) {
            long from = Math.max(i[0], reach);
            if (i[1] > from) {
                total += i[1] - from;
                reach = i[1];
            }
        }
        return total;
    }

    private static Map<String, Object> measure(String bootstrap, MeshCodec<RunEvent> codec, String runId) {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < deadline) {
            List<RunEvent> events = RunLog.read(bootstrap, codec, runId, Duration.ofSeconds(30));
            RunEvent planned = events.stream().filter(e -> e.getPayload() instanceof SweepPlanned).findFirst().orElse(null);
            RunEvent finished = events.stream().filter(e -> e.getPayload() instanceof SweepFinished).findFirst().orElse(null);
            if (planned != null && finished != null) {
                long wallMs = Duration.between(planned.getEnvelope().getOccurredAt(), finished.getEnvelope().getOccurredAt()).toMillis();
                Map<String, Long> perTrainer = new TreeMap<>();
                Map<String, List<long[]>> busy = new TreeMap<>();
                Map<String, Boolean> seen = new TreeMap<>();
                for (RunEvent e : events) {
                    if (e.getPayload() instanceof CellCompleted && seen.putIfAbsent(e.getEnvelope().getEventId(), true) == null) {
                        long work = e.getEnvelope().getCost().getComputeMs();
                        long end = e.getEnvelope().getOccurredAt().toEpochMilli();
                        perTrainer.merge(e.getEnvelope().getAgentInstance(), work, Long::sum);
                        busy.computeIfAbsent(e.getEnvelope().getAgentInstance(), k -> new ArrayList<>()).add(new long[] {end - work, end});
                    }
                }
                // a trainer that trains several cells at once is busy while any of them trains
                long chain = busy.values().stream().mapToLong(SweepOverhead::covered).max().orElse(0);
                // Where the rest of the wall time goes: from the plan to the first start, the trainers' idle gaps
                // between one cell's report and their next start, and from the last report to the fan-in's verdict.
                Instant firstStart = null;
                Instant lastReport = null;
                Map<String, Instant> lastReportBy = new TreeMap<>();
                long idleGapsMs = 0;
                for (RunEvent e : events.stream().sorted(Comparator.comparing(x -> x.getEnvelope().getOccurredAt())).toList()) {
                    Instant at = e.getEnvelope().getOccurredAt();
                    String by = e.getEnvelope().getAgentInstance();
                    if (e.getPayload() instanceof CellStarted) {
                        firstStart = firstStart == null ? at : firstStart;
                        Instant previous = lastReportBy.get(by);
                        idleGapsMs += previous == null ? 0 : Duration.between(previous, at).toMillis();
                    } else if (e.getPayload() instanceof CellCompleted) {
                        lastReportBy.put(by, at);
                        lastReport = at;
                    }
                }
                long total = perTrainer.values().stream().mapToLong(Long::longValue).sum();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("outcome", ((SweepFinished) finished.getPayload()).getOutcome().name());
                m.put("wallMs", wallMs);
                m.put("longestTrainerChainMs", chain);
                m.put("totalCellWorkMs", total);
                m.put("perTrainerMs", perTrainer);
                m.put("overheadShare", wallMs == 0 ? 0.0 : (double) (wallMs - chain) / wallMs);
                m.put("planToFirstStartMs", Duration.between(planned.getEnvelope().getOccurredAt(), firstStart).toMillis());
                m.put("trainerIdleGapsMs", idleGapsMs);
                m.put("lastReportToVerdictMs", Duration.between(lastReport, finished.getEnvelope().getOccurredAt()).toMillis());
                return m;
            }
            sleep(500);
        }
        throw new IllegalStateException("sweep " + runId + " did not finish");
    }

    private static void send(String bootstrap, MeshCodec<RunEvent> codec, RunEvent event) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            producer.send(new ProducerRecord<>(Topics.RUN_EVENTS.name(), event.getEnvelope().getRunId(), codec.encode(event))).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
