package dev.agentmesh.featureextractor;

import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunRecords;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.StageSupport;
import dev.agentmesh.topics.Topics;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Thin Kafka shell around {@link FeatureExtractionAgent}. */
@ApplicationScoped
public class FeatureExtractorService {

    private static final Logger LOG = Logger.getLogger(FeatureExtractorService.class);

    private final MeshCodecs codecs;
    private final StageSupport stage;
    private final FeatureExtractionAgent agent;
    private final String bootstrapServers;
    private final MutinyEmitter<byte[]> runEventsOut;
    private final MutinyEmitter<byte[]> featuresOut;

    public FeatureExtractorService(MeshCodecs codecs, StageSupport stage,
                                   @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                                   @ConfigProperty(name = "mesh.agent.role") String role,
                                   @ConfigProperty(name = "mesh.agent.instance") String instance,
                                   @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut,
                                   @Channel("features-out") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 2048)
                                   MutinyEmitter<byte[]> featuresOut) {
        this.codecs = codecs;
        this.stage = stage;
        this.bootstrapServers = bootstrapServers;
        this.agent = new FeatureExtractionAgent(new Envelopes(role, instance));
        this.runEventsOut = runEventsOut;
        this.featuresOut = featuresOut;
    }

    @Incoming("run-events")
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record) {
        RunEvent event = codecs.runEvents().decode(record.value());
        Optional<StageCompleted> validation = StageSupport.completionStarting(event, Stages.ROW_VALIDATION,
                FeatureExtractionAgent.STAGE);
        if (validation.isEmpty()) {
            return;
        }
        String runId = event.getEnvelope().getRunId();
        Decision decision = stage.authorizeStage(event);
        if (!decision.allowed()) {
            stage.send(runEventsOut, runId, codecs.runEvents().encode(agent.failed(event, "unauthorised: " + decision.reason())));
            throw new StageSupport.UnauthorisedActionException("run " + runId + " refused: " + decision.reason());
        }
        long expected = validation.get().getCounts().getOrDefault(AuditKeys.ROWS_OUT, 0L);
        Instant since = Instant.parse(validation.get().getAudit().getOrDefault(AuditKeys.TRIGGERED_AT,
                event.getEnvelope().getOccurredAt().toString()));
        List<DataRow> rows;
        try {
            rows = RunRecords.read(bootstrapServers, Topics.ROWS_VALIDATED, codecs.rows(), runId, since, expected,
                    DataRow::getRowIndex, Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            stage.send(runEventsOut, runId, codecs.runEvents().encode(agent.failed(event,
                    "cannot read the validated rows: " + e.getMessage())));
            return;
        }
        FeatureExtractionAgent.Outcome outcome = agent.handle(event, rows);
        stage.send(runEventsOut, runId, codecs.runEvents().encode(outcome.started()));
        stage.sendAll(featuresOut, runId, outcome.features().stream().map(codecs.features()::encode).toList());
        stage.send(runEventsOut, runId, codecs.runEvents().encode(outcome.finished()));
        LOG.infof("run %s: %d feature rows", runId, outcome.features().size());
    }
}
