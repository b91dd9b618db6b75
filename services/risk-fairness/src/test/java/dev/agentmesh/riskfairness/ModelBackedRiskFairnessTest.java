package dev.agentmesh.riskfairness;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.gate.AssessmentRequested;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Candidate;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.judgment.ModelCallOutcome;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.testing.EmbeddedKafkaResource;
import dev.agentmesh.testing.OpenAiServer;
import dev.agentmesh.testing.TestGrants;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * risk-fairness with its verdict model-backed, through the real LangChain4j client against an OpenAI-compatible server
 * the test starts ({@link OpenAiServer}), on a real broker: a well-formed verdict, a malformed answer (retried, then
 * dead-lettered for review), a timeout, a 429, and a call over the grant's token budget (refused, never made).
 */
@QuarkusTest
@QuarkusTestResource(EmbeddedKafkaResource.class)
@QuarkusTestResource(OpenAiServer.class)
class ModelBackedRiskFairnessTest {

    static WireMock model;
    static String grant;

    static final String CONCERN = "{\"verdict\":\"CONCERN\",\"summary\":\"the age gap is near the threshold\","
            + "\"evidence\":{\"gap\":\"0.14\"}}";

    @BeforeAll
    static void stubs() {
        model = OpenAiServer.client(ConfigProvider.getConfig().getValue("quarkus.langchain4j.openai.base-url", String.class));
        grant = TestGrants.publishRoot(EmbeddedKafkaResource.bootstrapServers(), EmbeddedKafkaResource.principal(),
                List.of(Actions.SPEND_COMPUTE), null);
        model.register(OpenAiServer.whenAsked("cell cell-good ").willReturn(OpenAiServer.completion(CONCERN, 420, 60)));
        model.register(OpenAiServer.whenAsked("cell cell-malformed ").willReturn(
                OpenAiServer.completion("Looks fine to me, ship it.", 400, 9)));
        model.register(OpenAiServer.whenAsked("cell cell-slow ").inScenario("slow").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(OpenAiServer.completion(CONCERN, 420, 60).withFixedDelay(4000)).willSetStateTo("answered"));
        model.register(OpenAiServer.whenAsked("cell cell-slow ").inScenario("slow").whenScenarioStateIs("answered")
                .willReturn(OpenAiServer.completion(CONCERN, 420, 60)));
        model.register(OpenAiServer.whenAsked("cell cell-limited ").inScenario("limited").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(WireMock.aResponse().withStatus(429).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}"))
                .willSetStateTo("free"));
        model.register(OpenAiServer.whenAsked("cell cell-limited ").inScenario("limited").whenScenarioStateIs("free")
                .willReturn(OpenAiServer.completion(CONCERN, 420, 60)));
        model.register(OpenAiServer.whenAsked("cell cell-budget ").willReturn(OpenAiServer.completion(CONCERN, 420, 60)));
    }

    static MeshCodec<RunEvent> codec() {
        return new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(EmbeddedKafkaResource.bootstrapServers()));
    }

    static void request(String runId, String cellId, String grantId) {
        Envelope e = new Envelopes("coordinator", "test").origin(runId, grantId);
        e.setDelegationDepth(1);
        Candidate candidate = new Candidate(cellId, "file:/nowhere/" + cellId, "sha256:x", 0.5, 10.0, "credit-g",
                "file:/nowhere/dataset/");
        TopicProbe.send(EmbeddedKafkaResource.bootstrapServers(), Topics.RUN_EVENTS.name(), runId.getBytes(),
                codec().encode(new RunEvent(e, new AssessmentRequested("risk-fairness", candidate, Instant.now().plusSeconds(60)))));
    }

    static List<RunEvent> answers(String runId, Predicate<List<RunEvent>> until) {
        MeshCodec<RunEvent> codec = codec();
        return TopicProbe.readUntil(EmbeddedKafkaResource.bootstrapServers(), Topics.RUN_EVENTS.name(), Duration.ofSeconds(60),
                        seen -> until.test(of(seen, runId, codec)))
                .stream().filter(r -> runId.equals(TopicProbe.key(r))).map(r -> codec.decode(r.value()))
                .filter(e -> e.getEnvelope().getAgentRole().equals("risk-fairness")).toList();
    }

    private static List<RunEvent> of(List<ConsumerRecord<byte[], byte[]>> seen, String runId, MeshCodec<RunEvent> codec) {
        return seen.stream().filter(r -> runId.equals(TopicProbe.key(r))).map(r -> codec.decode(r.value()))
                .filter(e -> e.getEnvelope().getAgentRole().equals("risk-fairness")).toList();
    }

    static List<ModelCalled> calls(List<RunEvent> events) {
        return events.stream().map(RunEvent::getPayload).filter(p -> p instanceof ModelCalled).map(p -> (ModelCalled) p).toList();
    }

    static ConsumerRecord<byte[], byte[]> deadLetter(String runId) {
        return TopicProbe.readUntil(EmbeddedKafkaResource.bootstrapServers(), Topics.DEAD_LETTER.name(), Duration.ofSeconds(60),
                        seen -> seen.stream().anyMatch(r -> runId.equals(TopicProbe.key(r))))
                .stream().filter(r -> runId.equals(TopicProbe.key(r))).findFirst().orElseThrow();
    }

    @Test
    void aWellFormedAnswerIsTheVerdictWithItsTokensAndMoneyInTheCost() {
        request("rf-good", "cell-good", grant);
        List<RunEvent> events = answers("rf-good", es -> es.stream().anyMatch(e -> e.getPayload() instanceof AssessmentReturned));
        AssessmentReturned answer = events.stream().map(RunEvent::getPayload).filter(p -> p instanceof AssessmentReturned)
                .map(p -> (AssessmentReturned) p).findFirst().orElseThrow();
        assertEquals(Verdict.CONCERN, answer.getVerdict(), "the model's verdict, not the rules' BLOCK");
        assertEquals("the age gap is near the threshold", answer.getSummary());
        assertEquals("model:recorded-model", answer.getEvidence().get("judgment"));
        assertEquals("BLOCK", answer.getEvidence().get("rules.verdict"));
        assertEquals("0.14", answer.getEvidence().get("model.gap"));

        ModelCalled call = calls(events).get(0);
        assertEquals(ModelCallOutcome.ANSWERED, call.getOutcome());
        assertEquals("assessment:risk-fairness", call.getPurpose());
        assertEquals(420, call.getInputTokens());
        assertEquals(60, call.getOutputTokens());
        assertEquals(Math.round(420 * 2.5 + 60 * 10), call.getMoneyMicros());
        assertEquals(CONCERN, call.getResponse());
        assertTrue(call.getPrompt().contains("Your rules' verdict: BLOCK"), call.getPrompt());
        RunEvent callEvent = events.stream().filter(e -> e.getPayload() instanceof ModelCalled).findFirst().orElseThrow();
        assertEquals(480, callEvent.getEnvelope().getCost().getTokens(), "the call's tokens are the event's cost");
        assertEquals(grant, callEvent.getEnvelope().getGrantId(), "under the request's grant");
        assertEquals(1, OpenAiServer.requestsContaining(model, "cell cell-good "));
        assertTrue(OpenAiServer.requestsContaining(model, "\"response_format\"") > 0, "asked for JSON");

        String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("mesh_model_calls_total{outcome=\"ANSWERED\"}"), "model calls are counted");
    }

    @Test
    void aMalformedAnswerIsRetriedThenDeadLetteredForReviewWithTheRawAnswer() {
        request("rf-malformed", "cell-malformed", grant);
        List<RunEvent> events = answers("rf-malformed", es -> calls(es).size() >= 3);
        assertEquals(List.of(ModelCallOutcome.MALFORMED, ModelCallOutcome.MALFORMED, ModelCallOutcome.MALFORMED),
                calls(events).stream().map(ModelCalled::getOutcome).toList());
        assertTrue(calls(events).get(0).getReason().startsWith("the answer is not JSON"), calls(events).get(0).getReason());
        String reason = TopicProbe.header(deadLetter("rf-malformed"), MeshHeaders.DLQ_REASON);
        assertTrue(reason.contains("no usable answer from recorded-model after 3 attempts")
                && reason.contains("last answer: Looks fine to me, ship it."), reason);
        assertTrue(events.stream().noneMatch(e -> e.getPayload() instanceof AssessmentReturned), "never an unvalidated verdict");
        assertEquals(3, OpenAiServer.requestsContaining(model, "cell cell-malformed "));
        assertTrue(OpenAiServer.requestsContaining(model, "Your previous answer was rejected") >= 2,
                "a retry says why the answer was refused");
    }

    @Test
    void aTimeoutAndARateLimitAreRecordedAndTheNextAttemptAnswers() {
        request("rf-slow", "cell-slow", grant);
        request("rf-limited", "cell-limited", grant);
        List<RunEvent> slow = answers("rf-slow", es -> es.stream().anyMatch(e -> e.getPayload() instanceof AssessmentReturned));
        assertEquals(List.of(ModelCallOutcome.TIMEOUT, ModelCallOutcome.ANSWERED),
                calls(slow).stream().map(ModelCalled::getOutcome).toList(), () -> calls(slow).get(0).getReason());
        assertNull(calls(slow).get(0).getResponse());
        List<RunEvent> limited = answers("rf-limited", es -> es.stream().anyMatch(e -> e.getPayload() instanceof AssessmentReturned));
        assertEquals(List.of(ModelCallOutcome.RATE_LIMITED, ModelCallOutcome.ANSWERED),
                calls(limited).stream().map(ModelCalled::getOutcome).toList(), () -> calls(limited).get(0).getReason());
    }

    @Test
    void aCallOverTheGrantsTokenBudgetIsRefusedBeforeItIsMade() {
        String small = TestGrants.publishRoot(EmbeddedKafkaResource.bootstrapServers(), EmbeddedKafkaResource.principal(),
                List.of(Actions.SPEND_COMPUTE), null, 100L);
        request("rf-budget", "cell-budget", small);
        List<RunEvent> events = answers("rf-budget", es -> !calls(es).isEmpty());
        ModelCalled refused = calls(events).get(0);
        assertEquals(ModelCallOutcome.REFUSED_BUDGET, refused.getOutcome());
        assertTrue(refused.getReason().contains("token budget: 100 left"), refused.getReason());
        String reason = TopicProbe.header(deadLetter("rf-budget"), MeshHeaders.DLQ_REASON);
        assertTrue(reason.contains("refused before the call"), reason);
        assertEquals(0, OpenAiServer.requestsContaining(model, "cell cell-budget "), "no request reached the model");
    }
}
