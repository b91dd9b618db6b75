package dev.agentmesh.schemachecker;

import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunRecords;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.FeatureRow;
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
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Thin Kafka shell around {@link SchemaCheckAgent}. */
@ApplicationScoped
public class SchemaCheckerService {

    private static final Logger LOG = Logger.getLogger(SchemaCheckerService.class);

    private final MeshCodecs codecs;
    private final StageSupport stage;
    private final SchemaCheckAgent agent;
    private final String bootstrapServers;
    private final MutinyEmitter<byte[]> runEventsOut;

    public SchemaCheckerService(MeshCodecs codecs, StageSupport stage,
                                @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                                @ConfigProperty(name = "mesh.agent.role") String role,
                                @ConfigProperty(name = "mesh.agent.instance") String instance,
                                @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut) {
        this.codecs = codecs;
        this.stage = stage;
        this.bootstrapServers = bootstrapServers;
        this.agent = new SchemaCheckAgent(new Envelopes(role, instance));
        this.runEventsOut = runEventsOut;
    }

    @Incoming("run-events")
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record) {
        RunEvent event = codecs.runEvents().decode(record.value());
        Optional<StageCompleted> extraction = StageSupport.completionStarting(event, Stages.FEATURE_EXTRACTION,
                SchemaCheckAgent.STAGE);
        if (extraction.isEmpty()) {
            return;
        }
        String runId = event.getEnvelope().getRunId();
        Decision decision = stage.authorizeStage(event);
        if (!decision.allowed()) {
            stage.send(runEventsOut, runId, codecs.runEvents().encode(agent.failed(event, "unauthorised: " + decision.reason())));
            throw new StageSupport.UnauthorisedActionException("run " + runId + " refused: " + decision.reason());
        }
        long expected = extraction.get().getCounts().getOrDefault(AuditKeys.ROWS_OUT, 0L);
        Instant since = Instant.parse(extraction.get().getAudit().getOrDefault(AuditKeys.TRIGGERED_AT,
                event.getEnvelope().getOccurredAt().toString()));
        List<FeatureRow> features;
        try {
            features = RunRecords.read(bootstrapServers, Topics.FEATURES, codecs.features(), runId, since, expected,
                    FeatureRow::getRowIndex, Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            stage.send(runEventsOut, runId, codecs.runEvents().encode(agent.failed(event,
                    "schema check failed: completeness: " + e.getMessage())));
            return;
        }
        SchemaCheckAgent.Outcome outcome = agent.handle(event, features);
        stage.send(runEventsOut, runId, codecs.runEvents().encode(outcome.started()));
        stage.send(runEventsOut, runId, codecs.runEvents().encode(outcome.finished()));
        LOG.infof("run %s: schema check %s", runId, outcome.result().summary());
    }
}
