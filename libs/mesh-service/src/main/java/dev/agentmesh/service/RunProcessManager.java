package dev.agentmesh.service;

import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.kafka.KafkaRecords;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.ActiveRuns;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * How a process manager (sweep-orchestrator, coordinator) keeps its runs: a Kafka Streams processor on the run-events
 * topic whose runs live in two changelogged stores ({@code <name>-active-runs}: each active run's state;
 * {@code <name>-settled-runs}: the runs it is done with, still folded, so a resume finds them whole). A restarted or rebalanced instance restores them from
 * the changelogs instead of re-reading the log; run-events partitions, and with them runs, spread over the instances
 * of the application. A punctuator gives the {@link RunWorker} its ticks. Everything the worker sends goes through
 * the topology's sinks, in the transaction that commits the event's offset ({@code exactly_once_v2}). An event the
 * worker cannot handle goes to the dead-letter topic with the reason, and the next is processed.
 */
public final class RunProcessManager implements Processor<String, byte[], String, byte[]> {

    private static final Logger LOG = Logger.getLogger(RunProcessManager.class);
    public static final String ACTIVE_RUNS = "-active-runs";
    public static final String SETTLED_RUNS = "-settled-runs";
    private static final String SOURCE = "run-events";
    private static final String PROCESSOR = "process-manager";

    /** Run state as its store (and REST) keep it: canonical JSON. */
    public static final Serde<RunState> RUN_STATE_SERDE = Serdes.serdeFrom(
            (topic, state) -> state == null ? null : RunStateJson.toBytes(state),
            (topic, bytes) -> bytes == null ? null : RunStateJson.fromBytes(bytes));

    private final String name;
    private final RunWorker worker;
    private final MeshCodec<RunEvent> runEvents;
    private final Duration tick;
    private ProcessorContext<String, byte[]> context;
    private ActiveRuns runs;
    private Outbox out;

    private RunProcessManager(String name, RunWorker worker, MeshCodec<RunEvent> runEvents, Duration tick) {
        this.name = name;
        this.worker = worker;
        this.runEvents = runEvents;
        this.tick = tick;
    }

    /** The topology of process manager {@code name} (its stores are named after it). */
    public static Topology topology(String name, RunWorker worker, MeshCodec<RunEvent> runEvents, Duration tick) {
        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                Topics.RUN_EVENTS.name());
        topology.addProcessor(PROCESSOR, () -> new RunProcessManager(name, worker, runEvents, tick), SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name + ACTIVE_RUNS),
                Serdes.String(), RUN_STATE_SERDE), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name + SETTLED_RUNS),
                Serdes.String(), RUN_STATE_SERDE), PROCESSOR);
        Set<String> sinks = new LinkedHashSet<>();
        worker.outputs().forEach(t -> sinks.add(t.name()));
        sinks.add(Topics.DEAD_LETTER.name());
        for (String topic : sinks) {
            topology.addSink(topic, topic, Serdes.String().serializer(), Serdes.ByteArray().serializer(), PROCESSOR);
        }
        return topology;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        KeyValueStore<String, RunState> active = context.getStateStore(name + ACTIVE_RUNS);
        KeyValueStore<String, RunState> settled = context.getStateStore(name + SETTLED_RUNS);
        this.runs = new ActiveRuns(new StreamsRunStore(active, settled), worker.stage());
        this.out = new ForwardingOutbox();
        context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, now -> {
            try {
                worker.tick(runs, out);
            } catch (RuntimeException e) {
                LOG.errorf(e, "%s tick failed; retrying on the next tick", name);
            }
        });
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata at = context.recordMetadata().orElseThrow();
        LoggedRecord logged = new LoggedRecord(at.topic(), at.partition(), at.offset(), record.timestamp(), record.key(),
                record.value(), headers(record.headers()));
        try {
            if (record.value() == null) {
                throw new IllegalArgumentException("a record with no value is no run event");
            }
            worker.handle(logged, runs, out);
        } catch (RuntimeException e) {
            LOG.warnf("%s-%d@%d dead-lettered: %s", at.topic(), at.partition(), at.offset(), e.getMessage());
            deadLetter(record, at, e);
        }
    }

    private void deadLetter(Record<String, byte[]> record, RecordMetadata at, RuntimeException e) {
        Headers headers = new RecordHeaders();
        for (Header h : record.headers()) {
            headers.add(h);
        }
        put(headers, MeshHeaders.DLQ_REASON, e.getMessage() == null ? e.getClass().getName() : e.getMessage());
        if (e.getCause() != null) {
            put(headers, MeshHeaders.DLQ_CAUSE, String.valueOf(e.getCause().getMessage()));
        }
        put(headers, MeshHeaders.DLQ_TOPIC, at.topic());
        put(headers, MeshHeaders.DLQ_PARTITION, Integer.toString(at.partition()));
        put(headers, MeshHeaders.DLQ_OFFSET, Long.toString(at.offset()));
        put(headers, MeshHeaders.DLQ_SERVICE, name);
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), Topics.DEAD_LETTER.name());
    }

    private static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> headers(Headers headers) {
        Map<String, String> map = new LinkedHashMap<>();
        for (Header h : headers) {
            map.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        return map;
    }

    private final class ForwardingOutbox implements Outbox {

        @Override
        public void send(RunEvent event) {
            send(Topics.RUN_EVENTS, event.getEnvelope().getRunId(), runEvents.encode(event),
                    KafkaRecords.headers(event.getEnvelope()));
        }

        @Override
        public void send(Topic<?, ?> topic, String key, byte[] value) {
            send(topic, key, value, new RecordHeaders());
        }

        @Override
        public void send(Topic<?, ?> topic, String key, byte[] value, Headers headers) {
            context.forward(new Record<>(key, value, context.currentSystemTimeMs(), headers), topic.name());
        }
    }

    /** The runs in the processor's two stores. */
    private record StreamsRunStore(KeyValueStore<String, RunState> active, KeyValueStore<String, RunState> settled)
            implements ActiveRuns.Store {

        @Override
        public RunState get(String runId) {
            RunState state = active.get(runId);
            return state != null ? state : settled.get(runId);
        }

        @Override
        public void put(RunState state) {
            (settled.get(state.runId()) != null ? settled : active).put(state.runId(), state);
        }

        @Override
        public boolean settled(String runId) {
            return settled.get(runId) != null;
        }

        @Override
        public void settle(RunState state) {
            active.delete(state.runId());
            settled.put(state.runId(), state);
        }

        @Override
        public void reopen(String runId) {
            RunState state = settled.delete(runId);
            if (state != null) {
                active.put(runId, state);
            }
        }

        @Override
        public void forEachActive(Consumer<RunState> each) {
            try (KeyValueIterator<String, RunState> all = active.all()) {
                while (all.hasNext()) {
                    KeyValue<String, RunState> next = all.next();
                    each.accept(next.value);
                }
            }
        }
    }
}
