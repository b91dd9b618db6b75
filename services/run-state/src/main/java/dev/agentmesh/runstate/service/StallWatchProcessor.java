package dev.agentmesh.runstate.service;

import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.core.StallWatch;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Duration;
import java.time.Instant;

/**
 * Every {@code every}, looks through the runs of this instance's partitions in the run-state store and writes a
 * {@code RunStalled} event for each one {@link StallWatch} flags (in the same transaction as the fold's progress).
 */
final class StallWatchProcessor implements Processor<String, RunEvent, String, RunEvent> {

    private final StallWatch watch;
    private final Duration every;

    StallWatchProcessor(StallWatch watch, Duration every) {
        this.watch = watch;
        this.every = every;
    }

    @Override
    public void init(ProcessorContext<String, RunEvent> context) {
        KeyValueStore<String, RunState> store = context.getStateStore(TopologyProducer.RUN_STATE_STORE);
        context.schedule(every, PunctuationType.WALL_CLOCK_TIME, now -> {
            try (KeyValueIterator<String, RunState> runs = store.all()) {
                while (runs.hasNext()) {
                    KeyValue<String, RunState> run = runs.next();
                    if (run.value != null) {
                        watch.check(run.value, Instant.ofEpochMilli(now))
                                .ifPresent(stalled -> context.forward(new Record<>(run.key, stalled, now)));
                    }
                }
            }
        });
    }

    @Override
    public void process(Record<String, RunEvent> record) {
        // the store is the fold's; this processor only looks at it on its schedule
    }
}
