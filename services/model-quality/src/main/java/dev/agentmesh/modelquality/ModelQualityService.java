package dev.agentmesh.modelquality;

import dev.agentmesh.service.ArtifactStores;
import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.assessment.ModelQuality;
import dev.agentmesh.training.ModelRegistry;
import java.nio.file.Path;
import dev.agentmesh.service.SpecialistRunner;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Gate specialist: the candidate against production on the same evaluation set. A thin shell; the computation is plain Java in libs/assessment. */
@ApplicationScoped
public class ModelQualityService {

    private final SpecialistRunner runner;
    private final MutinyEmitter<byte[]> runEventsOut;
    private final ModelRegistry registry;
    private final ModelQuality.Thresholds thresholds;

    public ModelQualityService(SpecialistRunner runner,
                               @ConfigProperty(name = "mesh.artifacts.dir") Path artifacts,
                               ArtifactStores stores,
                               @ConfigProperty(name = "mesh.model-quality.max-log-loss-regression") double maxRegression,
                               @ConfigProperty(name = "mesh.model-quality.max-auc-drop") double maxAucDrop,
                               @ConfigProperty(name = "mesh.model-quality.min-auc") double minAuc,
                               @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut) {
        this.runner = runner;
        this.runEventsOut = runEventsOut;
        this.registry = new ModelRegistry(artifacts, stores.store());
        this.thresholds = new ModelQuality.Thresholds(maxRegression, maxAucDrop, minAuc);
    }

    @Incoming("run-events")
    @MeshHandler
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record) {
        runner.handle(record, candidate -> ModelQuality.assess(candidate, registry, thresholds), runEventsOut);
    }
}
