package dev.agentmesh.scheduler;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.schedule.Fire;
import dev.agentmesh.schedule.FireOutcome;
import dev.agentmesh.schedule.Schedule;
import dev.agentmesh.scheduling.ScheduleTicker;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The schedules of this instance's partitions in the store {@value #STORE}, ticked by a {@link SchedulerProcessor}. */
@ApplicationScoped
public class TopologyProducer {

    public static final String STORE = "schedules";
    public static final String ROLE = "scheduler";
    private static final String SOURCE = "schedules-in";
    private static final String PROCESSOR = "scheduler";
    private static final Logger LOG = Logger.getLogger(TopologyProducer.class);

    @Produces
    public Topology topology(MeshCodecs codecs, GrantGate grants, MeterRegistry metrics,
                             @ConfigProperty(name = "mesh.scheduler.tick") Duration tick,
                             @ConfigProperty(name = "mesh.scheduler.on-time") Duration onTime,
                             @ConfigProperty(name = "mesh.agent.instance") String instance) {
        ScheduleTicker ticker = new ScheduleTicker(new Envelopes(ROLE, instance), grants::authorize, onTime);
        return build(codecs.settings(), ticker, tick, (schedule, t) -> {
            for (Fire fire : t.fires()) {
                metrics.counter("mesh.scheduler.fires", "outcome", fire.getOutcome().name()).increment();
                if (fire.getOutcome() == FireOutcome.TRIGGERED) {
                    LOG.infof("schedule %s fired run %s", schedule.getScheduleId(), fire.getRunId());
                } else {
                    LOG.warnf("schedule %s: the fire of %s was %s: %s", schedule.getScheduleId(), fire.getFireTime(),
                            fire.getOutcome(), fire.getReason());
                }
            }
        });
    }

    public static Topology build(Map<String, Object> serdeSettings, ScheduleTicker ticker, Duration tick,
                                 SchedulerProcessor.Ticks observer) {
        MeshCodec<Schedule> schedules = new MeshCodec<>(Topics.SCHEDULES, serdeSettings);
        MeshCodec<RunEvent> runEvents = new MeshCodec<>(Topics.RUN_EVENTS, serdeSettings);
        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.SCHEDULES.name());
        topology.addProcessor(PROCESSOR, () -> new SchedulerProcessor(schedules, runEvents, ticker, tick, observer), SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(),
                Serdes.ByteArray()), PROCESSOR);
        for (Topic<?, ?> topic : List.of(Topics.RUN_EVENTS, Topics.SCHEDULES, Topics.DEAD_LETTER)) {
            topology.addSink(topic.name(), topic.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer(), PROCESSOR);
        }
        return topology;
    }
}
