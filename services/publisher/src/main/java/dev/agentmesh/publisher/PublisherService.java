package dev.agentmesh.publisher;

import dev.agentmesh.service.ArtifactStores;
import dev.agentmesh.service.MeshHandler;
import java.nio.file.Path;
import dev.agentmesh.dataset.PublishAgent;
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

/** Thin Kafka shell around {@link PublishAgent}. */
@ApplicationScoped
public class PublisherService {

    private static final Logger LOG = Logger.getLogger(PublisherService.class);

    private final MeshCodecs codecs;
    private final StageSupport stage;
    private final PublishAgent agent;
    private final MutinyEmitter<byte[]> runEventsOut;

    public PublisherService(MeshCodecs codecs, StageSupport stage,
                                @ConfigProperty(name = "mesh.agent.role") String role,
                                @ConfigProperty(name = "mesh.agent.instance") String instance,
                                @ConfigProperty(name = "mesh.artifacts.dir") Path artifacts,
                                ArtifactStores stores,
                                @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut) {
        this.codecs = codecs;
        this.stage = stage;
        this.agent = new PublishAgent(new Envelopes(role, instance), artifacts, stores.store());
        this.runEventsOut = runEventsOut;
    }

    @Incoming("run-events")
    @MeshHandler
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record, IncomingKafkaRecordMetadata<byte[], byte[]> delivery) {
        RunEvent event = codecs.runEvents().decode(record.value());
        Optional<Replayable<FeatureRow>> input = stage.begin(event, Stages.SCHEMA_CHECK, PublishAgent.STAGE,
                Topics.FEATURES, codecs.features(), "feature.rows.checked",
                FeatureRow::getRowIndex, reason -> agent.failed(event, reason), runEventsOut);
        if (input.isEmpty()) {
            stage.pass(record, delivery);
            return;
        }
        String runId = event.getEnvelope().getRunId();
        stage.send(runEventsOut, agent.started(event));
        PublishAgent.Outcome outcome = agent.handle(event, input.get());
        try (StageTransactions.Transaction tx = stage.transaction(record, delivery)) {
            if (outcome.published() != null) {
                stage.send(tx, outcome.published());
            }
            if (!stage.complete(tx, outcome.finished())) {
                return;
            }
        }
        LOG.infof("run %s: dataset %s", runId, outcome.published() == null ? "not published" : "published");
    }
}
