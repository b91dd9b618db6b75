package dev.agentmesh.service;

import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.kafka.DeadLetter;
import dev.agentmesh.kafka.KafkaRecords;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.ActiveRuns;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.Cancellable;
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
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
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
            (topic, state) -> state == null ? null : RunStateJson.toStoreBytes(state),
            (topic, bytes) -> bytes == null ? null : RunStateJson.fromStoreBytes(bytes));

    private final String name;
    private final RunWorker worker;
    private final MeshCodec<RunEvent> runEvents;
    private final Duration tick;
    private ProcessorContext<String, byte[]> context;
    private ActiveRuns runs;
    private Outbox out;
    private Cancellable ticking;

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
        for (String store : List.of(name + ACTIVE_RUNS, name + SETTLED_RUNS)) {
            topology.addStateStore(CommitBufferedStore.builder(Stores.keyValueStoreBuilder(
                    Stores.persistentKeyValueStore(store), Serdes.String(), RUN_STATE_SERDE), Comparator.naturalOrder()),
                    PROCESSOR);
        }
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
        this.runs = new ActiveRuns(new StoreTable(active), new StoreTable(settled), worker.stage(), worker::reopens);
        this.out = new ForwardingOutbox();
        tickWhileRunsAreActive();
    }

    /**
     * Ticks only while the task owns an active run. Every wall-clock punctuation makes Kafka Streams commit the task,
     * under exactly-once a transaction, so an idle process manager that kept ticking would commit four times a second
     * for nothing.
     */
    private void tickWhileRunsAreActive() {
        if (ticking != null || runs.all().isEmpty()) {
            return;
        }
        ticking = context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, now -> {
            try {
                worker.tick(runs, out);
            } catch (RuntimeException e) {
                LOG.errorf(e, "%s tick failed; retrying on the next tick", name);
            }
            if (runs.all().isEmpty()) {
                ticking.cancel();
                ticking = null;
            }
        });
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata at = context.recordMetadata().orElseThrow();
        LoggedRecord logged = new LoggedRecord(at.topic(), at.partition(), at.offset(), record.timestamp(), record.key(),
                record.value(), KafkaRecords.text(record.headers()));
        try {
            if (record.value() == null) {
                throw new IllegalArgumentException("a record with no value is no run event");
            }
            worker.handle(logged, runs, out);
        } catch (RuntimeException e) {
            LOG.warnf("%s-%d@%d dead-lettered: %s", at.topic(), at.partition(), at.offset(), e.getMessage());
            deadLetter(record, at, e);
        }
        tickWhileRunsAreActive();
    }

    private void deadLetter(Record<String, byte[]> record, RecordMetadata at, RuntimeException e) {
        DeadLetter letter = DeadLetter.of(at.topic(), at.partition(), at.offset(),
                record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8), record.value(),
                record.headers(), DeadLetter.reasonOf(e), name)
                .withCause(e.getCause() == null ? e.getClass().getName() : String.valueOf(e.getCause().getMessage()));
        context.forward(new Record<>(letter.key() == null ? null : record.key(), letter.value(), record.timestamp(),
                letter.headers()), Topics.DEAD_LETTER.name());
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
            // Under exactly-once the output is invisible until its transaction commits. Without the request, the
            // commit waits for the interval to pass and then for the stream thread's next poll (poll.ms) to return.
            context.commit();
        }
    }

    /** One of the processor's stores as a table of runs. */
    private record StoreTable(KeyValueStore<String, RunState> store) implements ActiveRuns.Table {

        @Override
        public RunState get(String runId) {
            return store.get(runId);
        }

        @Override
        public void put(RunState state) {
            store.put(state.runId(), state);
        }

        @Override
        public RunState remove(String runId) {
            return store.delete(runId);
        }

        @Override
        public void forEach(Consumer<RunState> each) {
            try (KeyValueIterator<String, RunState> all = store.all()) {
                while (all.hasNext()) {
                    each.accept(all.next().value);
                }
            }
        }
    }
}
