package dev.agentmesh.triage.service;

import com.github.tomakehurst.wiremock.client.WireMock;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.diagnosis.FailureClass;
import dev.agentmesh.diagnosis.TriageDecider;
import dev.agentmesh.diagnosis.TriageJudgment;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.testing.EmbeddedKafkaResource;
import dev.agentmesh.testing.OpenAiServer;
import dev.agentmesh.testing.TestGrants;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import dev.agentmesh.triage.InvestigationReturned;
import dev.agentmesh.triage.RunDiagnosed;
import dev.agentmesh.triage.TriageOpened;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The triage service on a real broker with its classification model-backed, through the real LangChain4j client
 * against an OpenAI-compatible server the test starts ({@link OpenAiServer}): the model names the first class and its
 * call is recorded; a model with no usable answer leaves the rules' classes. The investigators run in the same app.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
@QuarkusTestResource(OpenAiServer.class)
class ModelBackedTriageTest {

    static WireMock model;
    static String grant;

    @BeforeAll
    static void stubs() {
        model = OpenAiServer.client(ConfigProvider.getConfig().getValue("quarkus.langchain4j.openai.base-url", String.class));
        grant = TestGrants.publishRoot(EmbeddedKafkaResource.bootstrapServers(), EmbeddedKafkaResource.principal(),
                List.of(Actions.READ), null);
        model.register(OpenAiServer.whenAsked("Run tr-schema ").willReturn(OpenAiServer.completion(
                "{\"verdict\":\"SCHEMA\",\"summary\":\"the source's age column changed its unit\","
                        + "\"evidence\":{\"stage\":\"row-validation\"}}", 300, 40)));
        model.register(OpenAiServer.whenAsked("Run tr-babble ").willReturn(OpenAiServer.completion(
                "It is probably the data, or the network.", 300, 12)));
    }

    static MeshCodec<RunEvent> codec() {
        return new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(EmbeddedKafkaResource.bootstrapServers()));
    }

    /** A run of one stage that failed over its contract's rejection limit, under the test's triage grant. */
    static void failedOnBadData(String runId) {
        MeshCodec<RunEvent> codec = codec();
        Envelope trigger = new Envelopes("meshctl", "test").origin(runId, grant);
        for (RunEvent e : List.of(
                RunEvents.triggered(trigger, "nightly", "alice", SourceKind.CSV, "/nowhere/" + runId + ".csv", "credit-g",
                        List.of(Stages.ROW_VALIDATION), Map.of(TriageDecider.PARAM_GRANT, grant)),
                RunEvents.failed(new Envelopes("row-validator", "rv").causedBy(trigger, "finished", 0), Stages.ROW_VALIDATION,
                        "120 of 1000 rows (12.0%) broke data contract credit-g, over its limit of 5.0%; rejected by column:"
                                + " age 120", false))) {
            TopicProbe.send(EmbeddedKafkaResource.bootstrapServers(), Topics.RUN_EVENTS.name(), runId.getBytes(), codec.encode(e));
        }
    }

    static List<RunEvent> untilDiagnosed(String runId) {
        MeshCodec<RunEvent> codec = codec();
        return TopicProbe.readUntil(EmbeddedKafkaResource.bootstrapServers(), Topics.RUN_EVENTS.name(), Duration.ofSeconds(60),
                        seen -> seen.stream().filter(r -> runId.equals(TopicProbe.key(r)))
                                .anyMatch(r -> codec.decode(r.value()).getPayload() instanceof RunDiagnosed))
                .stream().filter(r -> runId.equals(TopicProbe.key(r))).map(r -> codec.decode(r.value())).toList();
    }

    static <T> List<T> of(List<RunEvent> events, Class<T> type) {
        return events.stream().map(RunEvent::getPayload).filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void theModelNamesTheFirstClassItsCallIsRecordedAndTheRulesClassesStillRoute() {
        failedOnBadData("tr-schema");
        List<RunEvent> events = untilDiagnosed("tr-schema");
        ModelCalled call = of(events, ModelCalled.class).get(0);
        assertEquals(TriageJudgment.PURPOSE, call.getPurpose());
        assertTrue(call.getPrompt().contains("broke data contract credit-g"), call.getPrompt());
        assertEquals(340, call.getInputTokens() + call.getOutputTokens());
        RunEvent callEvent = events.stream().filter(e -> e.getPayload() instanceof ModelCalled).findFirst().orElseThrow();
        assertEquals(grant, callEvent.getEnvelope().getGrantId(), "spent under the triage's grant");
        TriageOpened opened = of(events, TriageOpened.class).get(0);
        assertEquals(List.of("SCHEMA", "DATA"), opened.getClasses());
        assertEquals("model:recorded-model", opened.getClassifiedBy());
        assertEquals(List.of(FailureClass.Investigators.DATA), opened.getInvestigators());
        InvestigationReturned finding = of(events, InvestigationReturned.class).get(0);
        assertTrue(finding.getSummary().startsWith("the source could not be checked again"), finding.getSummary());
        assertEquals(List.of(), of(events, RunDiagnosed.class).get(0).getMissing());
    }

    @Test
    void aModelWithNoUsableAnswerLeavesTheRulesClassesAndItsCallsAreRecorded() {
        failedOnBadData("tr-babble");
        List<RunEvent> events = untilDiagnosed("tr-babble");
        assertEquals(3, of(events, ModelCalled.class).size(), "mesh.judgment.max-attempts of the test server's config");
        TriageOpened opened = of(events, TriageOpened.class).get(0);
        assertEquals(List.of("DATA"), opened.getClasses());
        assertTrue(opened.getClassifiedBy().startsWith("rules (model:recorded-model gave no usable answer"),
                opened.getClassifiedBy());
    }
}
