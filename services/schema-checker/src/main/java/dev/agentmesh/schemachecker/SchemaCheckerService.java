package dev.agentmesh.schemachecker;

import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.features.SchemaCheckAgent;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.StageSupport;
import dev.agentmesh.kafka.StageTransactions;
import dev.agentmesh.topics.Topics;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import dev.agentmesh.core.Replayable;
import java.util.Optional;

/** Thin Kafka shell around {@link SchemaCheckAgent}. */
@ApplicationScoped
public class SchemaCheckerService {

    private static final Logger LOG = Logger.getLogger(SchemaCheckerService.class);

    private final MeshCodecs codecs;
    private final StageSupport stage;
    private final SchemaCheckAgent agent;
    private final MutinyEmitter<byte[]> runEventsOut;

    public SchemaCheckerService(MeshCodecs codecs, StageSupport stage,
                                @ConfigProperty(name = "mesh.agent.role") String role,
                                @ConfigProperty(name = "mesh.agent.instance") String instance,
                                @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut) {
        this.codecs = codecs;
        this.stage = stage;
        this.agent = new SchemaCheckAgent(new Envelopes(role, instance));
        this.runEventsOut = runEventsOut;
    }

    @Incoming("run-events")
    @MeshHandler
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record, IncomingKafkaRecordMetadata<byte[], byte[]> delivery) {
        RunEvent event = codecs.runEvents().decode(record.value());
        Optional<Replayable<FeatureRow>> input = stage.begin(event, Stages.FEATURE_EXTRACTION, SchemaCheckAgent.STAGE,
                Topics.FEATURES, codecs.features(), AuditKeys.ROWS_OUT,
                FeatureRow::getRowIndex, reason -> agent.failed(event, reason), runEventsOut);
        if (input.isEmpty()) {
            stage.pass(record, delivery);
            return;
        }
        String runId = event.getEnvelope().getRunId();
        stage.send(runEventsOut, agent.started(event));
        SchemaCheckAgent.Outcome outcome = agent.handle(event, input.get());
        try (StageTransactions.Transaction tx = stage.transaction(record, delivery)) {
            stage.complete(tx, outcome.finished());
        }
        LOG.infof("run %s: schema check %s", runId, outcome.result().summary());
    }
}
