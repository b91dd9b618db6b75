package dev.agentmesh.bench;

import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.run.StageStarted;
import java.util.Arrays;
import org.apache.kafka.common.serialization.StringSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.contract.TransactionGenerator;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.RawRow;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.meshctl.MeshServices;
import dev.agentmesh.meshctl.PrincipalTools;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows per second through the row-validator service (its own JVM, the packaged app) on generated transactions read
 * from the raw-rows topic: decode, validate against the contract, write every valid row and dead-letter the rest,
 * from the trigger's arrival in the log to the stage's completion's. Baseline, same run, same broker, same records: a bare consume→produce
 * hop of the raw bytes (no decoding, no validation).
 *
 * <p>Arguments: rows, measured runs, the JSON result file, warm-up runs (default 2: the service's JIT compiles its
 * row loop with the optimising compiler during the first runs; a long-running service is measured warm).
 */
public final class RowValidatorThroughput {

    static final String HOP_TOPIC = "bench.hop";

    public static void main(String[] args) throws Exception {
        int rows = Integer.parseInt(args[0]);
        int runs = Integer.parseInt(args[1]);
        Path resultFile = Path.of(args[2]);
        int warmups = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        Path root = MeshServices.repoRoot();
        Path work = resultFile.getParent().resolve("row-validator-bench-" + ProcessHandle.current().pid());
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("rows", rows);
        result.put("warmupRuns", warmups);
        List<Double> meshRates = new ArrayList<>();
        List<Double> hopRates = new ArrayList<>();
        List<Double> pickups = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(); MeshServices services = new MeshServices(root, work)) {
            String bootstrap = kafka.bootstrapServers();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                admin.createTopics(List.of(new NewTopic(HOP_TOPIC, Topics.ROWS_RAW.partitions(), (short) 1))).all().get();
            }
            Path keys = work.resolve("keys");
            services.start("row-validator", bootstrap, PrincipalTools.serviceConfig(keys), Duration.ofMinutes(2));
            GrantIssued grant = PrincipalTools.issueNightlyGrant(bootstrap, keys);
            Map<String, Object> serde = SerdeSettings.kafkaTopicStore(bootstrap);
            MeshCodec<RawRow> raw = new MeshCodec<>(Topics.ROWS_RAW, serde);
            MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, serde);
            CsvRows.Table table = TransactionGenerator.generate(new TransactionGenerator.Spec(rows, 42, 0.01, 0));
            for (int run = 1 - warmups; run <= runs; run++) {
                String batch = "batch-" + (run + warmups);
                try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
                    for (Map<String, String> row : table.rows()) {
                        producer.send(new ProducerRecord<>(Topics.ROWS_RAW.name(), batch, raw.encode(new RawRow(new HashMap<>(row)))));
                    }
                }
                String runId = "bench-rv-" + (run + warmups);
                RunEvent trigger = RunEvents.triggered(new Envelopes("bench", "bench").origin(runId, grant.getGrantId()), "nightly",
                        "bench", SourceKind.TOPIC, Topics.ROWS_RAW.name() + "?key=" + batch, "transactions",
                        List.of(Stages.ROW_VALIDATION), Map.of());
                try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
                    producer.send(new ProducerRecord<>(Topics.RUN_EVENTS.name(), runId, events.encode(trigger))).get();
                }
                StageCompleted done = awaitCompletion(bootstrap, events, runId);
                Map<Class<?>, Instant> logged = logTimes(bootstrap, events, runId);
                Instant triggered = logged.get(RunTriggered.class);
                double seconds = Duration.between(triggered, logged.get(StageCompleted.class)).toNanos() / 1e9;
                pickups.add((double) Duration.between(triggered, logged.get(StageStarted.class)).toMillis());
                double meshRate = done.getCounts().get("rows.in") / seconds;
                double hopRate = hop(bootstrap, batch, rows);
                System.out.printf("%s: row-validator %.0f rows/s (%d in, %d out, %d rejected; trigger to stage start %.0f ms); bare hop %.0f rows/s; ratio %.2f%n",
                        run <= 0 ? "warm-up " + (run + warmups) : "run " + run, meshRate, done.getCounts().get("rows.in"), done.getCounts().get("rows.out"),
                        done.getCounts().get("rows.rejected"), pickups.get(pickups.size() - 1), hopRate, meshRate / hopRate);
                if (run > 0) {
                    meshRates.add(meshRate);
                    hopRates.add(hopRate);
                }
            }
        }
        double mesh = median(meshRates);
        double hop = median(hopRates);
        result.put("rowValidatorRowsPerSecond", meshRates);
        result.put("bareHopRowsPerSecond", hopRates);
        result.put("medianRowValidatorRowsPerSecond", mesh);
        result.put("medianBareHopRowsPerSecond", hop);
        result.put("medianRatio", mesh / hop);
        result.put("triggerToStageStartMillis", pickups);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(resultFile.toFile(), result);
        System.out.printf("%nrow-validator: median %.0f rows/s; bare consume->produce hop %.0f rows/s; ratio %.2f%n", mesh, hop, mesh / hop);
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
    }

    /** The baseline: read the batch's raw records and write their bytes to another topic, nothing else. */
    static double hop(String bootstrap, String batch, int rows) throws Exception {
        long t0 = System.nanoTime();
        int moved = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ProducerConfig.LINGER_MS_CONFIG, 5,
                     ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                     ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            TopicPartition partition = new TopicPartition(Topics.ROWS_RAW.name(),
                    RunLog.partitionOf(batch, Topics.ROWS_RAW.partitions()));
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            byte[] key = batch.getBytes(StandardCharsets.UTF_8);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (Arrays.equals(key, r.key())) {
                        producer.send(new ProducerRecord<>(HOP_TOPIC, r.key(), r.value()));
                        moved++;
                    }
                }
            }
            producer.flush();
        }
        if (moved != rows) {
            throw new IllegalStateException("hop moved " + moved + " of " + rows);
        }
        return rows / ((System.nanoTime() - t0) / 1e9);
    }

    static StageCompleted awaitCompletion(String bootstrap, MeshCodec<RunEvent> events, String runId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            for (RunEvent e : RunLog.read(bootstrap, events, runId, Duration.ofSeconds(30))) {
                if (e.getPayload() instanceof StageCompleted c) {
                    return c;
                }
                if (e.getPayload() instanceof StageFailed f) {
                    throw new IllegalStateException("row validation failed: " + f.getReason());
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("run " + runId + " did not complete");
    }

    /**
     * When the trigger, the stage's start and its completion reached the log: their records' timestamps (set when
     * each was sent). The service sends the completion after every row has been acknowledged; the event's own
     * {@code occurredAt} would be earlier (when validation ended).
     */
    static Map<Class<?>, Instant> logTimes(String bootstrap, MeshCodec<RunEvent> events, String runId) {
        Map<Class<?>, Instant> times = new HashMap<>();
        for (var r : RunLog.records(bootstrap, runId, Duration.ofSeconds(30))) {
            times.putIfAbsent(events.decode(r.value()).getPayload().getClass(), Instant.ofEpochMilli(r.timestamp()));
        }
        return times;
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
