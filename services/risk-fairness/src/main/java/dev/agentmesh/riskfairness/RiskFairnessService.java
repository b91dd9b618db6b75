package dev.agentmesh.riskfairness;

import dev.agentmesh.service.ArtifactStores;
import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.assessment.RiskFairness;
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

/** Gate specialist: dataset shift against the prior dataset and metrics per subgroup. A thin shell; the computation is plain Java in libs/assessment. */
@ApplicationScoped
public class RiskFairnessService {

    private final SpecialistRunner runner;
    private final MutinyEmitter<byte[]> runEventsOut;
    private final ModelRegistry registry;
    private final RiskFairness.Thresholds thresholds;

    public RiskFairnessService(SpecialistRunner runner,
                               @ConfigProperty(name = "mesh.artifacts.dir") Path artifacts,
                               ArtifactStores stores,
                               @ConfigProperty(name = "mesh.risk-fairness.psi-concern") double psiConcern,
                               @ConfigProperty(name = "mesh.risk-fairness.psi-block") double psiBlock,
                               @ConfigProperty(name = "mesh.risk-fairness.gap-concern") double gapConcern,
                               @ConfigProperty(name = "mesh.risk-fairness.gap-block") double gapBlock,
                               @ConfigProperty(name = "mesh.risk-fairness.min-group-size") int minGroupSize,
                               @ConfigProperty(name = "mesh.risk-fairness.bands") List<Double> bands,
                               @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut) {
        this.runner = runner;
        this.runEventsOut = runEventsOut;
        this.registry = new ModelRegistry(artifacts, stores.store());
        this.thresholds = new RiskFairness.Thresholds(psiConcern, psiBlock, gapConcern, gapBlock, minGroupSize,
                bands.stream().mapToDouble(Double::doubleValue).sorted().toArray());
    }

    @Incoming("run-events")
    @MeshHandler
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record) {
        runner.handle(record, candidate -> RiskFairness.assess(candidate, registry, thresholds), runEventsOut);
    }
}
