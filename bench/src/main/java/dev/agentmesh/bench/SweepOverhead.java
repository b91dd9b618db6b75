package dev.agentmesh.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.RunLog;
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
 * training work) / sweep wall time, where the chain is the busiest trainer's summed cell work (each trainer works
 * serially). Baseline, in this JVM and the same run: the same 24 cells trained back to back, halved for two workers.
 *
 * <p>Arguments: measured sweeps (after one warm-up), epochs per cell, and the JSON result file.
 */
public final class SweepOverhead {

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]);
        int epochs = Integer.parseInt(args[1]);
        Path resultFile = Path.of(args[2]);
        Path root = MeshServices.repoRoot();
        Path csv = root.resolveSibling("shared").resolve("data").resolve("credit-g.csv");
        Path work = resultFile.getParent().resolve("sweep-overhead-" + ProcessHandle.current().pid());
        Path keys = work.resolve("keys");
        Path grid = work.resolve("grid.yaml");
        Files.createDirectories(work);
        Files.writeString(grid, Files.readString(root.resolve("libs/mesh-core/src/main/resources/sweeps/default.yaml"))
                .replace("epochs: 8", "epochs: " + epochs));
        List<CellConfig> cells = SweepGrid.load(grid.toString()).cells(null);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("cells", cells.size());
        result.put("epochs", epochs);
        result.put("trainers", 2);
        List<Map<String, Object>> measured = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(); MeshServices services = new MeshServices(root, work)) {
            String bootstrap = kafka.bootstrapServers();
            services.startAll(List.of("sweep-orchestrator", "trainer"), bootstrap, Map.of(
                    "sweep-orchestrator", PrincipalTools.orchestratorConfig(keys), "trainer", PrincipalTools.serviceConfig(keys)),
                    Duration.ofMinutes(3));
            services.start("trainer", "trainer-2", bootstrap, PrincipalTools.serviceConfig(keys), Duration.ofMinutes(2));
            GrantIssued operator = PrincipalTools.issueNightlyGrant(bootstrap, keys);
            MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
            for (int i = 0; i <= runs; i++) {
                String runId = "bench-sweep-" + i;
                String sweepGrant = PrincipalTools.issueSweepGrant(bootstrap, keys, operator, "run:" + runId, 3_600_000L).getGrantId();
                LocalDataset.Published dataset = LocalDataset.publish(csv, DataContract.load("credit-g"),
                        work.resolve("datasets").resolve(runId), runId);
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

        LocalDataset.Published dataset = LocalDataset.publish(csv, DataContract.load("credit-g"), work.resolve("baseline"), "baseline");
        List<DatasetRow> train = DatasetReader.read(dataset.announcement().getSplits().get("train"));
        List<DatasetRow> validation = DatasetReader.read(dataset.announcement().getSplits().get("validation"));
        for (CellConfig cell : cells) {
            CellTrainer.train(cell, dataset.schema().names(), train, validation, StopSignal.NEVER);
        }
        long t0 = System.nanoTime();
        for (CellConfig cell : cells) {
            CellTrainer.train(cell, dataset.schema().names(), train, validation, StopSignal.NEVER);
        }
        long sequentialMs = (System.nanoTime() - t0) / 1_000_000;
        result.put("baselineSequentialInProcessMs", sequentialMs);
        result.put("baselineIdealTwoWorkersMs", sequentialMs / 2);
        double medianOverhead = measured.stream().mapToDouble(m -> (double) m.get("overheadShare")).sorted()
                .skip(measured.size() / 2).findFirst().orElse(Double.NaN);
        double medianWall = measured.stream().mapToDouble(m -> ((Number) m.get("wallMs")).doubleValue()).sorted()
                .skip(measured.size() / 2).findFirst().orElse(Double.NaN);
        result.put("medianOverheadShare", medianOverhead);
        result.put("medianWallOverIdealTwoWorkers", medianWall / (sequentialMs / 2.0));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(resultFile.toFile(), result);
        System.out.printf("%nsweep overhead: median %.2f%% of wall time; wall / ideal two-worker baseline = %.2f%n",
                100 * medianOverhead, medianWall / (sequentialMs / 2.0));
        System.out.println("result: " + resultFile);
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
                Map<String, Boolean> seen = new TreeMap<>();
                for (RunEvent e : events) {
                    if (e.getPayload() instanceof CellCompleted && seen.putIfAbsent(e.getEnvelope().getEventId(), true) == null) {
                        perTrainer.merge(e.getEnvelope().getAgentInstance(), e.getEnvelope().getCost().getComputeMs(), Long::sum);
                    }
                }
                long chain = perTrainer.values().stream().mapToLong(Long::longValue).max().orElse(0);
                long total = perTrainer.values().stream().mapToLong(Long::longValue).sum();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("outcome", ((SweepFinished) finished.getPayload()).getOutcome().name());
                m.put("wallMs", wallMs);
                m.put("longestTrainerChainMs", chain);
                m.put("totalCellWorkMs", total);
                m.put("perTrainerMs", perTrainer);
                m.put("overheadShare", wallMs == 0 ? 0.0 : (double) (wallMs - chain) / wallMs);
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
