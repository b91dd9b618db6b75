package dev.agentmesh.cost;

import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.assessment.CostProjection;
import dev.agentmesh.service.SpecialistRunner;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Gate specialist: inference cost projected from latency, traffic and price. A thin shell; the computation is plain Java in libs/assessment. */
@ApplicationScoped
public class CostService {

    private final SpecialistRunner runner;
    private final MutinyEmitter<byte[]> runEventsOut;
    private final CostProjection.Settings settings;

    public CostService(SpecialistRunner runner,
                               @ConfigProperty(name = "mesh.cost.requests-per-second") double requestsPerSecond,
                               @ConfigProperty(name = "mesh.cost.price-per-cpu-hour") double pricePerCpuHour,
                               @ConfigProperty(name = "mesh.cost.budget-per-month") double budgetPerMonth,
                               @ConfigProperty(name = "mesh.cost.concern-share") double concernShare,
                               @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut) {
        this.runner = runner;
        this.runEventsOut = runEventsOut;
        this.settings = new CostProjection.Settings(requestsPerSecond, pricePerCpuHour, budgetPerMonth, concernShare);
    }

    @Incoming("run-events")
    @MeshHandler
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record) {
        runner.handle(record, candidate -> CostProjection.assess(candidate, settings), runEventsOut);
    }
}
