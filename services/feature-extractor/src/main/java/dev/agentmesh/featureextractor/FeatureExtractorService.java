package dev.agentmesh.featureextractor;

import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.features.FeatureExtractionAgent;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.DataRow;
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

/** Thin Kafka shell around {@link FeatureExtractionAgent}. */
@ApplicationScoped
public class FeatureExtractorService {

    private static final Logger LOG = Logger.getLogger(FeatureExtractorService.class);

    private final MeshCodecs codecs;
    private final StageSupport stage;
    private final FeatureExtractionAgent agent;
    private final MutinyEmitter<byte[]> runEventsOut;

    public FeatureExtractorService(MeshCodecs codecs, StageSupport stage,
                                   @ConfigProperty(name = "mesh.agent.role") String role,
                                   @ConfigProperty(name = "mesh.agent.instance") String instance,
                                   @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut) {
        this.codecs = codecs;
        this.stage = stage;
        this.agent = new FeatureExtractionAgent(new Envelopes(role, instance));
        this.runEventsOut = runEventsOut;
    }

    @Incoming("run-events")
    @MeshHandler
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record, IncomingKafkaRecordMetadata<byte[], byte[]> delivery) {
        RunEvent event = codecs.runEvents().decode(record.value());
        Optional<Replayable<DataRow>> input = stage.begin(event, Stages.ROW_VALIDATION, FeatureExtractionAgent.STAGE,
                Topics.ROWS_VALIDATED, codecs.rows(), AuditKeys.ROWS_OUT,
                DataRow::getRowIndex, reason -> agent.failed(event, reason), runEventsOut);
        if (input.isEmpty()) {
            stage.pass(record, delivery);
            return;
        }
        String runId = event.getEnvelope().getRunId();
        stage.send(runEventsOut, agent.started(event));
        try (StageTransactions.Transaction tx = stage.transaction(record, delivery)) {
            RunEvent finished = agent.extract(event, input.get(),
                    row -> tx.send(Topics.FEATURES.name(), runId, codecs.features().encode(row), null), tx::flush);
            stage.complete(tx, finished, Topics.FEATURES);
            LOG.infof("run %s: %s", runId, finished.getPayload());
        }
    }
}
