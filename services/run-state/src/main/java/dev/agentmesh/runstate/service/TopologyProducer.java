package dev.agentmesh.runstate.service;

import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.RunProcessManager;
import dev.agentmesh.topics.Topics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.Map;

/** The run-state topology: run events, grouped by run id, folded by {@link RunStateReducer}. */
@ApplicationScoped
public class TopologyProducer {

    public static final String RUN_STATE_STORE = "run-state-store";

    @Produces
    public Topology topology(MeshCodecs codecs) {
        return build(codecs.settings());
    }

    public static Topology build(Map<String, Object> serdeSettings) {
        StreamsBuilder builder = new StreamsBuilder();
        Serde<RunEvent> runEvents = MeshCodec.streamsSerde(Topics.RUN_EVENTS, serdeSettings);
        builder.stream(Topics.RUN_EVENTS.name(), Consumed.with(Serdes.String(), runEvents))
                .filter((runId, event) -> event != null && event.getEnvelope().getRunId().equals(runId))
                .groupByKey()
                .aggregate(() -> null,
                        (runId, event, state) -> RunStateReducer.apply(state, event),
                        Materialized.<String, RunState, KeyValueStore<Bytes, byte[]>>as(RUN_STATE_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(RunProcessManager.RUN_STATE_SERDE));
        return builder.build();
    }
}
