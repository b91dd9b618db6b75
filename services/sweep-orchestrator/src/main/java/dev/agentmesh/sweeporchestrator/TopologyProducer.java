package dev.agentmesh.sweeporchestrator;

import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.RunProcessManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.streams.Topology;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;

/** The orchestrator's runs and sweeps, kept by a {@link RunProcessManager} in the store {@value #STORE}-active-runs. */
@ApplicationScoped
public class TopologyProducer {

    public static final String STORE = "sweep-orchestrator";

    @Produces
    public Topology topology(SweepOrchestratorService service, MeshCodecs codecs,
                             @ConfigProperty(name = "mesh.sweep.tick") Duration tick) {
        return RunProcessManager.topology(STORE, service, codecs.runEvents(), tick);
    }
}
