package dev.agentmesh.schemachecker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.data.Split;
import dev.agentmesh.features.FeatureSchema;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.testing.EmbeddedKafkaResource;
import dev.agentmesh.testing.TestGrants;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The schema-checker service on a real broker, fed feature tables written straight to the topics. */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
class SchemaCheckerServiceTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Publishes a feature-extraction completion and {@code rows} feature rows with the given schema. */
    static void publishExtraction(String runId, List<String> featureNames, int rows, long validationIn, long rejected)
            throws Exception {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        String grant = TestGrants.publishNightlyRoot(bootstrap, EmbeddedKafkaResource.principal());
        MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        MeshCodec<FeatureRow> features = new MeshCodec<>(Topics.FEATURES, SerdeSettings.kafkaTopicStore(bootstrap));
        Envelopes extractor = new Envelopes("feature-extractor", "test");
        Envelope trigger = new Envelopes("meshctl", "test").origin(runId, grant);
        for (int i = 0; i < rows; i++) {
            TopicProbe.send(bootstrap, Topics.FEATURES.name(), runId.getBytes(), features.encode(new FeatureRow(
                    extractor.causedBy(trigger, "row-" + i, 0), (long) i, Split.TRAIN, "good",
                    new ArrayList<>(java.util.Collections.nCopies(featureNames.size(), 0.5)))));
        }
        RunEvent completed = RunEvents.completed(extractor.causedBy(trigger, "finished", 0), Stages.FEATURE_EXTRACTION,
                Map.of(AuditKeys.ROWS_OUT, (long) rows, AuditKeys.VALIDATION_ROWS_IN, validationIn,
                        AuditKeys.VALIDATION_ROWS_REJECTED, rejected),
                Map.of(AuditKeys.CONTRACT, "credit-g", AuditKeys.PLAN, String.join(",", Stages.INGEST),
                        AuditKeys.TRIGGERED_AT, Instant.now().minusSeconds(5).toString(),
                        AuditKeys.FEATURE_NAMES, JSON.writeValueAsString(featureNames)));
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), runId.getBytes(), events.encode(completed));
    }

    static Object outcome(String runId) {
        String bootstrap = EmbeddedKafkaResource.bootstrapServers();
        MeshCodec<RunEvent> events = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        return TopicProbe.readUntil(bootstrap, Topics.RUN_EVENTS.name(), Duration.ofSeconds(60),
                        seen -> seen.stream().filter(r -> runId.equals(new String(r.key()))).map(r -> events.decode(r.value()))
                                .anyMatch(e -> e.getEnvelope().getAgentRole().equals("schema-checker")
                                        && !(e.getPayload() instanceof dev.agentmesh.run.StageStarted)))
                .stream().filter(r -> runId.equals(new String(r.key()))).map(r -> events.decode(r.value()))
                .filter(e -> e.getEnvelope().getAgentRole().equals("schema-checker"))
                .map(RunEvent::getPayload).filter(p -> !(p instanceof dev.agentmesh.run.StageStarted))
                .findFirst().orElseThrow();
    }

    @Test
    void aFeatureSchemaThatBreaksTheContractFailsTheStageVisibly() throws Exception {
        List<String> broken = new ArrayList<>(FeatureSchema.expectedNames(DataContract.load("credit-g")));
        broken.remove("age");
        publishExtraction("run-broken", broken, 5, 5, 0);
        StageFailed failed = assertInstanceOf(StageFailed.class, outcome("run-broken"));
        assertEquals(Stages.SCHEMA_CHECK, failed.getStage());
        assertTrue(failed.getReason().contains("feature schema breaks contract credit-g: missing [age]"), failed.getReason());
    }

    @Test
    void aMatchingCompleteTablePasses() throws Exception {
        publishExtraction("run-fine", FeatureSchema.expectedNames(DataContract.load("credit-g")), 5, 7, 2);
        StageCompleted passed = assertInstanceOf(StageCompleted.class, outcome("run-fine"));
        assertTrue(passed.getAudit().get(AuditKeys.SCHEMA_CHECK).startsWith("passed"), passed.getAudit().toString());
    }

    @Test
    void rowsLostBetweenStagesFailTheCompletenessCheck() throws Exception {
        publishExtraction("run-lossy", FeatureSchema.expectedNames(DataContract.load("credit-g")), 5, 9, 2);
        StageFailed failed = assertInstanceOf(StageFailed.class, outcome("run-lossy"));
        assertTrue(failed.getReason().contains("completeness: rows in 9 != feature rows 5 + rows rejected 2"), failed.getReason());
    }
}
