package dev.agentmesh.deploymentengineer;

import dev.agentmesh.service.ArtifactStores;
import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.assessment.RollbackReadiness;
import dev.agentmesh.training.ModelRegistry;
import java.nio.file.Path;
import java.util.List;
import dev.agentmesh.service.SpecialistRunner;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Gate specialist: rollback readiness and a canary plan. A thin shell; the computation is plain Java in libs/assessment. */
@ApplicationScoped
public class DeploymentEngineerService {

    private final SpecialistRunner runner;
    private final MutinyEmitter<byte[]> runEventsOut;
    private final ModelRegistry registry;
    private final RollbackReadiness.CanaryPolicy canary;

    public DeploymentEngineerService(SpecialistRunner runner,
                               @ConfigProperty(name = "mesh.artifacts.dir") Path artifacts,
                               ArtifactStores stores,
                               @ConfigProperty(name = "mesh.canary.steps-percent") List<Integer> steps,
                               @ConfigProperty(name = "mesh.canary.hold-minutes") int holdMinutes,
                               @ConfigProperty(name = "mesh.canary.abort-latency-factor") double abortLatencyFactor,
                               @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut) {
        this.runner = runner;
        this.runEventsOut = runEventsOut;
        this.registry = new ModelRegistry(artifacts, stores.store());
        this.canary = new RollbackReadiness.CanaryPolicy(steps, holdMinutes, abortLatencyFactor);
    }

    @Incoming("run-events")
    @MeshHandler
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record) {
        runner.handle(record, candidate -> RollbackReadiness.assess(candidate, registry, canary), runEventsOut);
    }
}
