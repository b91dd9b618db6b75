package dev.agentmesh.triage.service;

import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.RunProcessManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.streams.Topology;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;

/** The supervisor's runs and triages, kept by a {@link RunProcessManager} in the store {@value #STORE}-active-runs. */
@ApplicationScoped
public class TopologyProducer {

    public static final String STORE = "triage";

    @Produces
    public Topology topology(TriageService service, MeshCodecs codecs,
                             @ConfigProperty(name = "mesh.triage.tick") Duration tick) {
        return RunProcessManager.topology(STORE, service, codecs.runEvents(), tick);
    }
}
