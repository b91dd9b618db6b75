package dev.agentmesh.dataset;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentmesh.core.PathNames;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.artifacts.ArtifactStore;
import dev.agentmesh.artifacts.LocalArtifactStore;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.features.FeatureStats;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Handoffs;
import dev.agentmesh.core.Replayable;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.data.Split;
import dev.agentmesh.run.DatasetPublished;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Writes the checked features as the run's dataset artifact and announces it. */
public final class PublishAgent {

    public static final String STAGE = Stages.PUBLISH;
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Outcome(RunEvent published, RunEvent finished) {
    }

    private final Envelopes envelopes;
    private final Path artifactRoot;
    private final ArtifactStore store;

    /** Writes under {@code artifactRoot}, then publishes to {@code store} (the local filesystem or an S3 bucket). */
    public PublishAgent(Envelopes envelopes, Path artifactRoot, ArtifactStore store) {
        this.envelopes = envelopes;
        this.artifactRoot = artifactRoot.toAbsolutePath().normalize();
        this.store = store;
    }

    public PublishAgent(Envelopes envelopes, Path artifactRoot) {
        this(envelopes, artifactRoot, LocalArtifactStore.INSTANCE);
    }

    public RunEvent started(RunEvent cause) {
        return RunEvents.started(envelopes.causedBy(cause.getEnvelope(), "started", 0), STAGE);
    }

    public RunEvent failed(RunEvent cause, String reason) {
        return RunEvents.failed(envelopes.causedBy(cause.getEnvelope(), "finished", 0), STAGE, reason, false);
    }

    /** Where a run's dataset lives in the artifact store. */
    public Path datasetDirectory(String runId) {
        return artifactRoot.resolve("datasets").resolve(PathNames.component(runId));
    }

    public Outcome handle(RunEvent cause, Replayable<FeatureRow> features) {
        long t0 = System.nanoTime();
        StageCompleted check = (StageCompleted) cause.getPayload();
        String runId = cause.getEnvelope().getRunId();
        try {
            DataContract contract = DataContract.load(Handoffs.contract(check));
            List<String> names = JSON.readValue(check.getAudit().getOrDefault(AuditKeys.FEATURE_NAMES, "[]"),
                    new TypeReference<>() { });
            DatasetWriter.Written written;
            long rows;
            try (DatasetWriter.Open open = DatasetWriter.open(datasetDirectory(runId), runId)) {
                rows = features.forEach(open::append);
                written = open.finish();
            }
            String stats = check.getAudit().get(AuditKeys.STANDARDISATION);
            if (stats != null) {
                FeatureStats.write(written.directory(), FeatureStats.fromJson(stats));
            }
            String location = store.publish(written.directory(), "datasets/" + PathNames.component(runId));
            Map<String, String> splits = new LinkedHashMap<>();
            Map<String, Long> counts = new TreeMap<>();
            for (Split split : Split.values()) {
                splits.put(split.name().toLowerCase(), location + DatasetWriter.fileName(split));
                counts.put(split.name().toLowerCase(), written.counts().get(split));
            }
            counts.put(AuditKeys.ROWS_OUT, rows);
            RunEvent published = new RunEvent(envelopes.causedBy(cause.getEnvelope(), "published", 0),
                    new DatasetPublished(location, written.checksum(), splits, counts, names, contract.label(),
                            contract.positiveLabel()));
            Map<String, String> audit = new LinkedHashMap<>();
            audit.put(AuditKeys.CHECKSUM, written.checksum());
            audit.put(AuditKeys.LOCATION, location);
            RunEvent finished = RunEvents.completed(envelopes.causedBy(cause.getEnvelope(), "finished",
                    (System.nanoTime() - t0) / 1_000_000), STAGE, counts, audit, Handoffs.next(check, 0));
            return new Outcome(published, finished);
        } catch (Exception e) {
            return new Outcome(null, failed(cause, "publishing failed: " + e.getMessage()));
        }
    }
}
