package dev.agentmesh.runstate.service;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.core.StallWatch;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.service.CommitBufferedStore;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.RunProcessManager;
import dev.agentmesh.topics.Topics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.util.Comparator;
import java.util.Map;

/**
 * The run-state topology: run events, keyed by run id, folded by {@link RunStateReducer} into the store (a
 * {@link CommitBufferedStore}: a run's state is (de)serialised once per commit, not once per event); stalled runs
 * flagged.
 */
@ApplicationScoped
public class TopologyProducer {

    public static final String RUN_STATE_STORE = "run-state-store";

    @Produces
    public Topology topology(MeshCodecs codecs,
                             @ConfigProperty(name = "mesh.runs.stall-after") Duration stallAfter,
                             @ConfigProperty(name = "mesh.runs.stall-check") Duration stallCheck,
                             @ConfigProperty(name = "mesh.agent.instance") String instance,
                             MeterRegistry metrics) {
        return build(codecs.settings(), new StallWatch(stallAfter, new Envelopes("run-state", instance)), stallCheck,
                new RunTransitionMetrics(metrics));
    }

    public static Topology build(Map<String, Object> serdeSettings, StallWatch stalls, Duration stallCheck) {
        return build(serdeSettings, stalls, stallCheck, RunTransitions.NONE);
    }

    /**
     * Run events, grouped by run id, folded into the store; and on a schedule, a look through the store for runs that
     * made no progress within their deadline ({@link StallWatch}), flagged back onto the run events.
     */
    public static Topology build(Map<String, Object> serdeSettings, StallWatch stalls, Duration stallCheck,
                                 RunTransitions transitions) {
        StreamsBuilder builder = new StreamsBuilder();
        Serde<RunEvent> runEvents = MeshCodec.streamsSerde(Topics.RUN_EVENTS, serdeSettings);
        KStream<String, RunEvent> events = builder.stream(Topics.RUN_EVENTS.name(), Consumed.with(Serdes.String(), runEvents));
        builder.addStateStore(CommitBufferedStore.builder(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(RUN_STATE_STORE), Serdes.String(), RunProcessManager.RUN_STATE_SERDE),
                Comparator.naturalOrder()));
        events.filter((runId, event) -> event != null && event.getEnvelope().getRunId().equals(runId))
                .process(() -> new RunStateFold(transitions), RUN_STATE_STORE);
        events.process(() -> new StallWatchProcessor(stalls, stallCheck), RUN_STATE_STORE)
                .to(Topics.RUN_EVENTS.name(), Produced.with(Serdes.String(), runEvents));
        return builder.build();
    }
}
