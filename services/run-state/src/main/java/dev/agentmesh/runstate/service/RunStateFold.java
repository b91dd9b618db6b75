package dev.agentmesh.runstate.service;

import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Folds each run event into its run's state in the run-state store. Forwards nothing. */
final class RunStateFold implements Processor<String, RunEvent, Void, Void> {

    private KeyValueStore<String, RunState> store;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(TopologyProducer.RUN_STATE_STORE);
    }

    @Override
    public void process(Record<String, RunEvent> record) {
        store.put(record.key(), RunStateReducer.apply(store.get(record.key()), record.value()));
    }
}
