package dev.agentmesh.publisher;

import dev.agentmesh.dataset.PublishAgent;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Replayable;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.data.Split;
import dev.agentmesh.dataset.DatasetReader;
import dev.agentmesh.features.FeatureStats;
import dev.agentmesh.features.FeatureEncoder;
import dev.agentmesh.run.DatasetPublished;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.service.ArtifactStores;
import dev.agentmesh.testing.EmbeddedS3;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With {@code mesh.artifacts.s3.*} set, the publisher writes the dataset artifact to an S3-compatible store. */
class PublishToS3Test {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theDatasetIsPublishedToTheConfiguredBucketAndReadBackFromIt(@TempDir Path artifacts) throws Exception {
        try (EmbeddedS3 s3 = EmbeddedS3.start("nightly-artifacts")) {
            ArtifactStores stores = new ArtifactStores(artifacts, Optional.of(s3.bucket()), Optional.of(s3.endpoint()),
                    "us-east-1", Optional.of(EmbeddedS3.ACCESS_KEY), Optional.of(EmbeddedS3.SECRET_KEY), true);
            PublishAgent agent = new PublishAgent(new Envelopes("publisher", "test"), artifacts, stores.store());

            DataContract contract = DataContract.load("credit-g");
            List<FeatureEncoder.Row> rows = new ArrayList<>();
            var csv = dev.agentmesh.contract.CsvRows.read(Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"),
                    "credit-g.csv"));
            for (int i = 0; i < csv.rows().size(); i++) {
                rows.add(new FeatureEncoder.Row(i, csv.rows().get(i)));
            }
            FeatureEncoder.Result encoded = new FeatureEncoder(contract).encode(rows);
            Envelope trigger = new Envelopes("meshctl", "test").origin("run-s3", "g");
            List<FeatureRow> features = encoded.rows().stream().map(e -> new FeatureRow(trigger, e.rowIndex(), e.split(), e.label(),
                    Arrays.stream(e.features()).boxed().toList())).toList();
            RunEvent checked = RunEvents.completed(new Envelopes("schema-checker", "test").causedBy(trigger, "finished", 0),
                    Stages.SCHEMA_CHECK, Map.of("feature.rows.checked", (long) features.size()),
                    Map.of(AuditKeys.CONTRACT, "credit-g", AuditKeys.PLAN, Stages.PUBLISH,
                            AuditKeys.FEATURE_NAMES, JSON.writeValueAsString(encoded.schema().names()),
                            AuditKeys.STANDARDISATION, FeatureStats.toJson(encoded.schema().standardisation())));

            PublishAgent.Outcome outcome = agent.handle(checked, Replayable.of(features));
            DatasetPublished published = (DatasetPublished) outcome.published().getPayload();
            assertEquals("s3://nightly-artifacts/datasets/run-s3/", published.getLocation());
            assertEquals("s3://nightly-artifacts/datasets/run-s3/train.avro", published.getSplits().get("train"));
            assertEquals(published.getCounts().get("train").longValue(), DatasetReader.read(published.getSplits().get("train")).size());
            assertEquals(encoded.countsBySplit().get(Split.TEST).longValue(), DatasetReader.read(published.getSplits().get("test")).size());
            assertTrue(FeatureStats.read(published.getLocation()).containsKey("age"), "the statistics are in the bucket too");
            assertEquals(published.getLocation(), ((StageCompleted) outcome.finished().getPayload()).getAudit().get(AuditKeys.LOCATION));
        }
    }
}
