package dev.agentmesh.scheduler;

import dev.agentmesh.kafka.DeadLetter;
import dev.agentmesh.kafka.KafkaRecords;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.schedule.Schedule;
import dev.agentmesh.scheduling.ScheduleClock;
import dev.agentmesh.scheduling.ScheduleTicker;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.topics.Topics;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The scheduler's shell around {@link ScheduleTicker}: the schedules of this instance's partitions of
 * {@code mesh.schedules} in a changelogged store, and on every tick the fires that are due, published with the
 * schedule's new state in the stream task's transaction (exactly once: a fire is triggered by the one instance that
 * owns the schedule, and a crash before the commit leaves nothing). A record that is no usable schedule is
 * dead-lettered with its reason.
 */
final class SchedulerProcessor implements Processor<String, byte[], String, byte[]> {

    private static final Logger LOG = Logger.getLogger(SchedulerProcessor.class);

    private final MeshCodec<Schedule> schedules;
    private final MeshCodec<RunEvent> runEvents;
    private final ScheduleTicker ticker;
    private final Duration tick;
    private final Ticks observer;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> store;

    /** Told of what each tick published, for metrics and logs. */
    interface Ticks {
        void ticked(Schedule before, ScheduleTicker.Tick tick);
    }

    SchedulerProcessor(MeshCodec<Schedule> schedules, MeshCodec<RunEvent> runEvents, ScheduleTicker ticker, Duration tick,
                       Ticks observer) {
        this.schedules = schedules;
        this.runEvents = runEvents;
        this.ticker = ticker;
        this.tick = tick;
        this.observer = observer;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(TopologyProducer.STORE);
        context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, now -> tickAll(Instant.ofEpochMilli(now)));
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.value() == null) {
            if (record.key() != null) {
                store.delete(record.key());
            }
            return;
        }
        try {
            Schedule written = schedules.decode(record.value());
            if (!written.getScheduleId().equals(record.key())) {
                throw new IllegalArgumentException("schedule " + written.getScheduleId() + " keyed under " + record.key());
            }
            ScheduleClock.of(written.getCron(), written.getTimeZone());
            byte[] storedBytes = store.get(record.key());
            Schedule stored = storedBytes == null ? null : schedules.decode(storedBytes);
            if (TopologyProducer.ROLE.equals(written.getEnvelope().getAgentRole())) {
                // A scheduler's own write coming back: the store is already at least as far, unless it is new here.
                if (stored == null || handledUpTo(written).isAfter(handledUpTo(stored))) {
                    store.put(record.key(), record.value());
                }
                return;
            }
            // A person's change (create, pause, resume, delete): kept, and written back as the schedule's latest record.
            byte[] accepted = schedules.encode(ticker.accept(stored, written, Instant.ofEpochMilli(context.currentSystemTimeMs())));
            store.put(record.key(), accepted);
            context.forward(new Record<>(record.key(), accepted, context.currentSystemTimeMs(), new RecordHeaders()),
                    Topics.SCHEDULES.name());
        } catch (RuntimeException e) {
            RecordMetadata at = context.recordMetadata().orElseThrow();
            LOG.warnf("%s-%d@%d dead-lettered: %s", at.topic(), at.partition(), at.offset(), e.getMessage());
            DeadLetter letter = DeadLetter.of(at.topic(), at.partition(), at.offset(),
                    record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8), record.value(),
                    record.headers(), DeadLetter.reasonOf(e), TopologyProducer.ROLE);
            context.forward(new Record<>(record.key(), letter.value(), record.timestamp(), letter.headers()),
                    Topics.DEAD_LETTER.name());
        }
    }

    private static Instant handledUpTo(Schedule s) {
        return s.getFiredUpTo();
    }

    private void tickAll(Instant now) {
        List<String> ids = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            all.forEachRemaining(kv -> ids.add(kv.key));
        }
        for (String id : ids) {
            try {
                Schedule schedule = schedules.decode(store.get(id));
                ticker.tick(schedule, now).ifPresent(t -> {
                    for (RunEvent trigger : t.triggers()) {
                        context.forward(new Record<>(trigger.getEnvelope().getRunId(), runEvents.encode(trigger),
                                now.toEpochMilli(), KafkaRecords.headers(trigger.getEnvelope())), Topics.RUN_EVENTS.name());
                    }
                    byte[] updated = schedules.encode(t.updated());
                    store.put(id, updated);
                    context.forward(new Record<>(id, updated, now.toEpochMilli(), new RecordHeaders()), Topics.SCHEDULES.name());
                    observer.ticked(schedule, t);
                });
            } catch (RuntimeException e) {
                LOG.errorf(e, "schedule %s not ticked; trying again on the next tick", id);
            }
        }
    }
}
