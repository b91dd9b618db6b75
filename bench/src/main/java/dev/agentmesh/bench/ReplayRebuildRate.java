package dev.agentmesh.bench;

import dev.agentmesh.core.Stages;
import dev.agentmesh.fanout.Ranking;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.run.DatasetPublished;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellDispatched;
import dev.agentmesh.sweep.CellStarted;
import dev.agentmesh.sweep.SweepFinished;
import dev.agentmesh.sweep.SweepOutcome;
import dev.agentmesh.sweep.SweepPlanned;
import java.io.IOException;
import java.util.Comparator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.StallWatch;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.service.TopologyProducer;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How fast run state is rebuilt from the log, over a million generated run events (runs shaped like the demo's):
 * the replay tool's path (read the topic, decode the Confluent wire format, fold with run-state's reducer), against
 * Kafka Streams rebuilding the same states in the same run: run-state's own topology restoring its store from its
 * changelog after its local state is wiped.
 *
 * <p>Arguments: events (at least), rebuild threads, the JSON result file.
 */
public final class ReplayRebuildRate {

    private static final SweepGrid GRID = SweepGrid.load("default");
    /** Passes over the in-memory runs; their median is reported. */
    private static final int PASSES = 9;
    private static final String APPLICATION_ID = "replay-bench-run-state";

    public static void main(String[] args) throws Exception {
        long total = Long.parseLong(args[0]);
        int threads = Integer.parseInt(args[1]);
        Path resultFile = Path.of(args[2]);
        int runs = (int) Math.ceil(total / 86.0);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("runs", runs);
        Path stateDir = Files.createTempDirectory(resultFile.getParent(), "replay-bench-state");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String bootstrap = kafka.bootstrapServers();
            Map<String, Object> serde = SerdeSettings.kafkaTopicStore(bootstrap);
            MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, serde);

            long t0 = System.nanoTime();
            int perRun = produce(bootstrap, codec, runs);
            result.put("events", (long) runs * perRun);
            result.put("eventsPerRun", perRun);
            result.put("produceSeconds", seconds(t0));
            System.out.printf("produced %d events in %.1f s%n", (long) runs * perRun, seconds(t0));

            // Warm-up pass, then the measured one: read + decode + fold, the replay tool's path.
            rebuild(bootstrap, codec, runs, 1);
            t0 = System.nanoTime();
            check(rebuild(bootstrap, codec, runs, 1), runs, perRun);
            double oneThread = seconds(t0);
            result.put("replayOneThreadSeconds", oneThread);
            result.put("replayOneThreadEventsPerSecond", (long) runs * perRun / oneThread);
            System.out.printf("replay rebuild, 1 thread: %d events in %.2f s = %.0f events/s%n", (long) runs * perRun, oneThread,
                    runs * perRun / oneThread);
            t0 = System.nanoTime();
            Map<String, RunState> states = rebuild(bootstrap, codec, runs, threads);
            double replaySeconds = seconds(t0);
            check(states, runs, perRun);
            result.put("replayThreads", threads);
            result.put("replaySeconds", replaySeconds);
            result.put("replayEventsPerSecond", (long) runs * perRun / replaySeconds);
            System.out.printf("replay rebuild, %d threads (one per partition group): %d events in %.2f s = %.0f events/s%n",
                    threads, (long) runs * perRun, replaySeconds, runs * perRun / replaySeconds);

            // Where the time goes, from memory: the first runs' records decoded only, folded only, and their final
            // states written in the store's form; warmed up, the median of several passes. A small working set, so
            // what is measured is the work per event, not the collector moving a million live events.
            result.putAll(fromMemory(codec, Math.min(runs, 2_000), perRun));

            // Kafka Streams: build the store from the log, in a JVM that has not run Kafka Streams yet, then again under
            // a second application id, as the replay is measured after a warm-up pass; the second's store (and so its
            // changelog) is wiped and restored below.
            result.putAll(firstBuild(bootstrap, serde, stateDir.resolve("cold"), APPLICATION_ID + "-cold", runs, perRun,
                    "streamsFirstBuild", "kafka streams first build"));
            result.putAll(firstBuild(bootstrap, serde, stateDir, APPLICATION_ID, runs, perRun,
                    "streamsSecondBuild", "kafka streams first build, again (a second application id)"));
            deleteRecursively(stateDir);
            AtomicLong restored = new AtomicLong();
            long[] restoreNanos = new long[2];
            StateRestoreListener listener = new StateRestoreListener() {
                @Override
                public void onRestoreStart(TopicPartition partition, String store, long start, long end) {
                    synchronized (restoreNanos) {
                        if (restoreNanos[0] == 0) {
                            restoreNanos[0] = System.nanoTime();
                        }
                    }
                }

                @Override
                public void onBatchRestored(TopicPartition partition, String store, long batchEnd, long numRestored) {
                    restored.addAndGet(numRestored);
                }

                @Override
                public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
                    synchronized (restoreNanos) {
                        restoreNanos[1] = System.nanoTime();
                    }
                }
            };
            try (KafkaStreams streams = streams(bootstrap, serde, stateDir, APPLICATION_ID, listener, new long[1])) {
                awaitStore(streams, runs, perRun);
            }
            double restoreSeconds = (restoreNanos[1] - restoreNanos[0]) / 1e9;
            result.put("streamsChangelogRecordsRestored", restored.get());
            result.put("streamsRestoreSeconds", restoreSeconds);
            result.put("streamsRestoreRecordsPerSecond", restored.get() / restoreSeconds);
            result.put("replayOverStreamsRestoreTime", replaySeconds / restoreSeconds);
            System.out.printf("kafka streams restore: %d changelog records in %.2f s = %.0f records/s (%.0f run events' worth per s)%n",
                    restored.get(), restoreSeconds, restored.get() / restoreSeconds, runs * perRun / restoreSeconds);
        } finally {
            deleteRecursively(stateDir);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(resultFile.toFile(), result);
        System.out.println("result: " + resultFile + " " + result);
    }

    /** The events of run number {@code r}, in the order they are produced. */
    static List<RunEvent> nightlyRun(int r) {
        Instant day = Instant.parse("2026-11-23T00:00:00Z");
        var grid = GRID;
        var cells = grid.cells(null);
        String runId = "bench-run-" + r;
        Instant at = day.plusSeconds(r);
        List<RunEvent> events = new ArrayList<>();
        Envelope trigger = new Envelopes("meshctl", "bench", Clock.fixed(at, ZoneOffset.UTC)).origin(runId, "grant");
        events.add(RunEvents.triggered(trigger, "nightly", "bench", SourceKind.CSV, "credit-g.csv", "credit-g",
                Stages.INGEST_AND_TRAIN, Map.of("sweep.grant", "sweep-grant")));
        Envelopes agent = new Envelopes("agent", "bench", Clock.fixed(at.plusMillis(1), ZoneOffset.UTC));
        for (String stage : Stages.INGEST) {
            events.add(RunEvents.started(agent.causedBy(trigger, stage + "-started", 1), stage));
            events.add(RunEvents.completed(agent.causedBy(trigger, stage + "-done", 40), stage,
                    Map.of("rows.in", 1000L, "rows.out", 1000L), Map.of("check", "passed")));
        }
        events.add(new RunEvent(agent.causedBy(trigger, "published", 0), new DatasetPublished(
                "file:/d/" + runId, "sha256:ab", Map.of("train", "file:/t", "validation", "file:/v", "test", "file:/x"),
                Map.of("train", 685L), List.of("f1", "f2"), "class", "good")));
        events.add(RunEvents.started(agent.causedBy(trigger, "sweep-started", 0), Stages.SWEEP));
        events.add(new RunEvent(agent.causedBy(trigger, "planned", 0), new SweepPlanned(
                "default", cells, grid.policy().toMap(), Ranking.RULE, 600_000L, "trainer-grant")));
        for (var cell : cells) {
            String id = cell.getCellId();
            events.add(new RunEvent(agent.causedBy(trigger, id + "-dispatched", 0), new CellDispatched(id, id)));
            events.add(new RunEvent(agent.causedBy(trigger, id + "-started", 0), new CellStarted(id)));
            events.add(new RunEvent(agent.causedBy(trigger, id + "-completed", 90), new CellCompleted(
                    id, cell, 0.5 + cell.getLearningRate(), 0.75, 4.2, 80L, "file:/m/" + id, "sha256:cd", List.of())));
        }
        events.add(new RunEvent(agent.causedBy(trigger, "finished", 0), new SweepFinished(
                SweepOutcome.SUCCEEDED, cells.get(0).getCellId(), "file:/m", "sha256:cd", 0.505,
                Ranking.RULE, List.of(), 24, 0, 0, Map.of(), null, "all 24 cells succeeded")));
        events.add(RunEvents.completed(agent.causedBy(trigger, "sweep-done", 0), Stages.SWEEP,
                Map.of("cells.succeeded", 24L), Map.of()));
        return events;
    }

    /**
     * Runs shaped like the demo's nightly run: the trigger, four stage-1 stages started and completed, the dataset,
     * the sweep's plan of 24 cells, each cell dispatched, started and completed, the fan-in and the sweep stage:
     * 86 events a run. {@code perRun} is therefore fixed by the shape; runs = events / 86.
     */
    static int produce(String bootstrap, MeshCodec<RunEvent> codec, int runs) throws Exception {
        int perRun = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "1",
                ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            for (int r = 0; r < runs; r++) {
                List<RunEvent> events = nightlyRun(r);
                String runId = events.get(0).getEnvelope().getRunId();
                for (RunEvent e : events) {
                    producer.send(new ProducerRecord<>(Topics.RUN_EVENTS.name(), runId, codec.encode(e)));
                }
                perRun = events.size();
            }
            producer.flush();
        }
        return perRun;
    }

    /** Reads every partition of run-events on its own thread (runs never span partitions), decodes and folds. */
    static Map<String, RunState> rebuild(String bootstrap, MeshCodec<RunEvent> codec, int runs, int threads) throws Exception {
        Map<String, RunState> all = new ConcurrentHashMap<>(runs * 2);
        var pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<TopicPartition> mine = new ArrayList<>();
            for (int p = t; p < Topics.RUN_EVENTS.partitions(); p += threads) {
                mine.add(new TopicPartition(Topics.RUN_EVENTS.name(), p));
            }
            done.add(pool.submit(() -> all.putAll(rebuild(bootstrap, codec, mine))));
        }
        for (var f : done) {
            f.get();
        }
        pool.shutdown();
        return all;
    }

    static Map<String, RunState> rebuild(String bootstrap, MeshCodec<RunEvent> codec, List<TopicPartition> partitions) {
        Map<String, RunState> states = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000,
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    RunEvent event = codec.decode(record.value());
                    states.merge(record.key(), RunStateReducer.apply(states.get(record.key()), event), (a, b) -> b);
                }
            }
        }
        return states;
    }

    /** Decode, fold and store-write rates over {@code runs} runs held in memory: medians of {@link #PASSES} passes. */
    static Map<String, Object> fromMemory(MeshCodec<RunEvent> codec, int runs, int perRun) {
        List<byte[]> raw = new ArrayList<>(runs * perRun);
        for (int r = 0; r < runs; r++) {
            for (RunEvent e : nightlyRun(r)) {
                raw.add(codec.encode(e));
            }
        }
        double[] decode = new double[PASSES];
        double[] fold = new double[PASSES];
        double[] write = new double[PASSES];
        long storedBytes = 0;
        for (int pass = 0; pass < PASSES; pass++) {
            long t0 = System.nanoTime();
            List<RunEvent> decoded = new ArrayList<>(raw.size());
            for (byte[] bytes : raw) {
                decoded.add(codec.decode(bytes));
            }
            decode[pass] = raw.size() / seconds(t0);
            t0 = System.nanoTime();
            Map<String, RunState> folded = new HashMap<>();
            for (RunEvent e : decoded) {
                String runId = e.getEnvelope().getRunId();
                folded.put(runId, RunStateReducer.apply(folded.get(runId), e));
            }
            fold[pass] = decoded.size() / seconds(t0);
            check(folded, runs, perRun);
            // what run-state writes at a commit: each run's whole state in the store's form
            storedBytes = 0;
            t0 = System.nanoTime();
            for (RunState state : folded.values()) {
                storedBytes += RunStateJson.toStoreBytes(state).length;
            }
            write[pass] = seconds(t0) * 1e6 / folded.size();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("fromMemoryRuns", runs);
        out.put("decodeOnlyEventsPerSecond", median(decode));
        out.put("foldOnlyEventsPerSecond", median(fold));
        out.put("storeWriteMicrosPerRun", median(write));
        out.put("storeBytesPerRun", storedBytes / runs);
        System.out.printf("from memory (%d runs, median of %d passes): decode %.0f events/s, fold %.0f events/s;"
                        + " a run's final state in the store's form: %d bytes, %.1f µs%n", runs, PASSES, median(decode),
                median(fold), storedBytes / runs, median(write));
        return out;
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /**
     * Builds run-state's store from the log under {@code applicationId}, timed to the last run's last event in the
     * store, and from RUNNING (assigned, nothing to restore); results under {@code key}.
     */
    static Map<String, Object> firstBuild(String bootstrap, Map<String, Object> serde, Path stateDir, String applicationId,
            int runs, int perRun, String key, String label) throws InterruptedException {
        long t0 = System.nanoTime();
        long[] running = new long[1];
        double took;
        KafkaStreams building = streams(bootstrap, serde, stateDir, applicationId, null, running);
        try {
            awaitStore(building, runs, perRun);
            took = seconds(t0);
            Thread.sleep(1500); // let the last commit write the changelog a restore reads
        } finally {
            // leaving the group, so that an instance of the same application need not wait out this one's session
            building.close(new KafkaStreams.CloseOptions().leaveGroup(true));
        }
        double processing = took - (running[0] - t0) / 1e9;
        long events = (long) runs * perRun;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(key + "Seconds", took);
        out.put(key + "EventsPerSecond", events / took);
        out.put(key + "ProcessingSeconds", processing);
        out.put(key + "ProcessingEventsPerSecond", events / processing);
        System.out.printf("%s: %.2f s = %.0f events/s; from RUNNING: %.2f s = %.0f events/s%n", label, took,
                events / took, processing, events / processing);
        return out;
    }

    static KafkaStreams streams(String bootstrap, Map<String, Object> serde, Path stateDir, String applicationId,
            StateRestoreListener listener, long[] runningAt) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        // as run-state is configured (services/run-state application.properties)
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        KafkaStreams streams = new KafkaStreams(TopologyProducer.build(serde, new StallWatch(Duration.ofDays(365),
                new Envelopes("run-state", "bench")), Duration.ofHours(1)), props);
        if (listener != null) {
            streams.setGlobalStateRestoreListener(listener);
        }
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING && runningAt[0] == 0) {
                runningAt[0] = System.nanoTime();
            }
        });
        streams.start();
        return streams;
    }

    static void awaitStore(KafkaStreams streams, int runs, int perRun) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (streams.state() == KafkaStreams.State.RUNNING) {
                try {
                    ReadOnlyKeyValueStore<String, RunState> store = streams.store(StoreQueryParameters.fromNameAndType(
                            TopologyProducer.RUN_STATE_STORE, QueryableStoreTypes.keyValueStore()));
                    RunState last = store.get("bench-run-" + (runs - 1));
                    if (store.approximateNumEntries() >= runs && last != null && last.eventCount() == perRun) {
                        return;
                    }
                } catch (RuntimeException notQueryableYet) {
                    // rebalancing or restoring
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("the Kafka Streams store did not fill within 10 minutes");
    }

    static void check(Map<String, RunState> states, int runs, int perRun) {
        if (states.size() != runs || states.values().stream().anyMatch(s -> s.eventCount() != perRun)) {
            throw new IllegalStateException("rebuild is incomplete: " + states.size() + " runs");
        }
    }

    static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
