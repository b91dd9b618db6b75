package dev.agentmesh.trainer;

import dev.agentmesh.service.ArtifactStores;
import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.sweep.CellCancelled;
import dev.agentmesh.sweep.CellFailed;
import java.util.concurrent.CompletableFuture;
import dev.agentmesh.kafka.KafkaRecords;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.fanout.TrainerPools;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.StageSupport;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellTask;
import dev.agentmesh.training.CellInterrupted;
import dev.agentmesh.training.ModelRegistry;
import dev.agentmesh.training.StopSignal;
import dev.agentmesh.training.TrainingAgent;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Thin Kafka shell around {@link TrainingAgent}: cell tasks from the trainer pool's consumer group, a few at once
 * ({@code mesh.trainer.concurrent-cells}); each cell is independent of the others, so they need no order.
 * The task's grant must allow writing checkpoints on the run; a cancelled cell is skipped or stopped mid-training.
 */
@ApplicationScoped
public class TrainerService {

    private static final Logger LOG = Logger.getLogger(TrainerService.class);

    private final MeshCodecs codecs;
    private final StageSupport stage;
    private final GrantGate grants;
    private final Cancellations cancellations;
    private final MeterRegistry metrics;
    private final TrainingAgent agent;
    private final MutinyEmitter<byte[]> runEventsOut;
    /** The pool this trainer belongs to: it trains only cells of this class (empty: the default pool). */
    private final Optional<String> resourceClass;

    public TrainerService(MeshCodecs codecs, StageSupport stage, GrantGate grants, Cancellations cancellations,
                          MeterRegistry metrics,
                          @ConfigProperty(name = "mesh.agent.role") String role,
                          @ConfigProperty(name = "mesh.agent.instance") String instance,
                          @ConfigProperty(name = "mesh.artifacts.dir") Path artifacts,
                               ArtifactStores stores,
                          @ConfigProperty(name = "mesh.trainer.resource-class") Optional<String> resourceClass,
                          @ConfigProperty(name = "mp.messaging.incoming.cell-tasks.group.id") String group,
                          @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut) {
        TrainerPools.check(resourceClass, group);
        this.resourceClass = resourceClass;
        this.codecs = codecs;
        this.stage = stage;
        this.grants = grants;
        this.cancellations = cancellations;
        this.metrics = metrics;
        this.agent = new TrainingAgent(new Envelopes(role, instance), new ModelRegistry(artifacts, stores.store()));
        this.runEventsOut = runEventsOut;
    }

    /** The worker pool cells train on; its {@code max-concurrency} is how many cells one trainer trains at once. */
    static final String CELL_POOL = "cell-training";

    @Incoming("cell-tasks")
    @MeshHandler
    @Blocking(value = CELL_POOL, ordered = false)
    public void onTask(ConsumerRecord<byte[], byte[]> record) {
        CellTask task = codecs.cellTasks().decode(record.value());
        if (!TrainerPools.takes(resourceClass, task.getConfig().getResourceClass())) {
            metrics.counter("mesh.trainer.tasks.other-pool").increment();
            return; // another pool's cell: its own group trains it
        }
        Envelope envelope = task.getEnvelope();
        String runId = envelope.getRunId();
        String cellId = task.getConfig().getCellId();
        int attempt = envelope.getAttempt();

        Decision decision = grants.authorize(new ActionRequest(envelope.getGrantId(), Actions.WRITE_CHECKPOINTS,
                Resources.run(runId), envelope.getDelegationDepth(), 0, Instant.now()));
        if (!decision.allowed()) {
            emit(runId, agent.failed(task, "unauthorised: " + decision.reason(), false, false, 0));
            throw new StageSupport.UnauthorisedActionException("cell " + cellId + " of run " + runId + " refused: " + decision.reason());
        }
        Optional<String> cancelled = cancellations.reason(runId, cellId, attempt);
        if (cancelled.isPresent()) {
            emit(runId, agent.cancelled(task, cancelled.get(), 0));
            return;
        }
        // Not awaited on its own: training starts at once, and the report below waits for both acknowledgements.
        RunEvent startedEvent = agent.started(task);
        CompletableFuture<Void> started = runEventsOut.sendMessage(stage.message(runId,
                codecs.runEvents().encode(startedEvent), KafkaRecords.headers(startedEvent.getEnvelope()))).subscribeAsCompletionStage();
        Instant deadline = Instant.now().plusMillis(task.getTimeoutMs());
        StopSignal stop = () -> {
            Optional<String> reason = cancellations.reason(runId, cellId, attempt);
            if (reason.isPresent()) {
                return Optional.of(new CellInterrupted(reason.get(), false));
            }
            return Instant.now().isAfter(deadline)
                    ? Optional.of(new CellInterrupted("timed out: training exceeded " + Duration.ofMillis(task.getTimeoutMs())
                    + " (attempt " + attempt + ")", true))
                    : Optional.empty();
        };
        RunEvent outcome = agent.train(task, stop);
        Uni.createFrom().completionStage(started).await().atMost(Duration.ofSeconds(60));
        emit(runId, outcome);
        String result = outcome.getPayload().getClass().getSimpleName();
        metrics.counter("mesh.trainer.cells", "result", result).increment();
        LOG.infof("run %s cell %s attempt %d: %s%s", runId, cellId, attempt, result,
                outcome.getPayload() instanceof CellCompleted c ? " validation loss " + c.getValidationLoss()
                        : outcome.getPayload() instanceof CellFailed f ? " " + f.getReason()
                        : outcome.getPayload() instanceof CellCancelled x ? " " + x.getReason() : "");
    }

    private void emit(String runId, RunEvent event) {
        stage.send(runEventsOut, event);
    }
}
