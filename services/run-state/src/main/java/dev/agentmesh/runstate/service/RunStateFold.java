package dev.agentmesh.runstate.service;

import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Folds each run event into its run's state in the run-state store, telling {@link RunTransitions}. Forwards nothing. */
final class RunStateFold implements Processor<String, RunEvent, Void, Void> {

    private final RunTransitions transitions;
    private KeyValueStore<String, RunState> store;

    RunStateFold(RunTransitions transitions) {
        this.transitions = transitions;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(TopologyProducer.RUN_STATE_STORE);
    }

    @Override
    public void process(Record<String, RunEvent> record) {
        RunState before = store.get(record.key());
        RunState after = RunStateReducer.apply(before, record.value());
        store.put(record.key(), after);
        if (after != before) {
            transitions.applied(before, after);
        }
    }
}
