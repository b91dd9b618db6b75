package dev.agentmesh.service;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import io.smallrye.common.annotation.Identifier;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.grant.GrantEvent;
import dev.agentmesh.review.ReviewAction;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.sweep.CellTask;
import dev.agentmesh.sweep.SweepControl;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Map;
import java.util.Optional;

/**
 * Codecs for the mesh topics, configured for the deployment. Every service builds this first, so it also hands the
 * service's Kafka security settings ({@code kafka.security.protocol}, {@code kafka.sasl.*}, {@code kafka.ssl.*}) to the
 * clients the mesh creates itself ({@link dev.agentmesh.kafka.client.KafkaClientSettings}).
 *
 * <p>Codecs for the mesh topics, configured for the deployment: {@code mesh.registry.url} names an
 * Apicurio Registry in production; without it, schemas live in the broker's {@code mesh.schemas} topic.
 */
@ApplicationScoped
public class MeshCodecs {

    private final Map<String, Object> settings;
    private final MeshCodec<RunEvent> runEvents;
    private final MeshCodec<DataRow> rows;
    private final MeshCodec<GrantEvent> grants;
    private final MeshCodec<FeatureRow> features;
    private final MeshCodec<CellTask> cellTasks;
    private final MeshCodec<SweepControl> sweepControl;
    private final MeshCodec<ReviewAction> reviewActions;

    public MeshCodecs(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                      @ConfigProperty(name = "mesh.registry.url") Optional<String> registryUrl,
                      @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig) {
        // The mesh's own Kafka clients (log reads, the grant ledger, the schema store) connect as the channels do.
        KafkaClientSettings.use(kafkaConfig);
        this.settings = SerdeSettings.forDeployment(registryUrl.orElse(null), bootstrapServers);
        this.runEvents = new MeshCodec<>(Topics.RUN_EVENTS, settings);
        this.rows = new MeshCodec<>(Topics.ROWS_VALIDATED, settings);
        this.grants = new MeshCodec<>(Topics.GRANTS, settings);
        this.features = new MeshCodec<>(Topics.FEATURES, settings);
        this.cellTasks = new MeshCodec<>(Topics.SWEEP_TASKS, settings);
        this.sweepControl = new MeshCodec<>(Topics.SWEEP_CONTROL, settings);
        this.reviewActions = new MeshCodec<>(Topics.REVIEW_ACTIONS, settings);
    }

    public MeshCodec<ReviewAction> reviewActions() {
        return reviewActions;
    }

    public MeshCodec<CellTask> cellTasks() {
        return cellTasks;
    }

    public MeshCodec<SweepControl> sweepControl() {
        return sweepControl;
    }

    public MeshCodec<FeatureRow> features() {
        return features;
    }

    public Map<String, Object> settings() {
        return settings;
    }

    public MeshCodec<RunEvent> runEvents() {
        return runEvents;
    }

    public MeshCodec<DataRow> rows() {
        return rows;
    }

    public MeshCodec<GrantEvent> grants() {
        return grants;
    }

    @PreDestroy
    void close() {
        runEvents.close();
        rows.close();
        grants.close();
        features.close();
        cellTasks.close();
        sweepControl.close();
        reviewActions.close();
    }
}
