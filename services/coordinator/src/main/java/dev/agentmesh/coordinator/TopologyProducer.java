package dev.agentmesh.coordinator;

import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.RunProcessManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.streams.Topology;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;

/** The coordinator's runs and gates, kept by a {@link RunProcessManager} in the store {@value #STORE}-active-runs. */
@ApplicationScoped
public class TopologyProducer {

    public static final String STORE = "coordinator";

    @Produces
    public Topology topology(CoordinatorService service, MeshCodecs codecs,
                             @ConfigProperty(name = "mesh.gate.tick") Duration tick) {
        return RunProcessManager.topology(STORE, service, codecs.runEvents(), tick);
    }
}
