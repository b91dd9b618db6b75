package dev.agentmesh.meshctl;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.judgment.ModelCallOutcome;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.GateState;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.team.Specialists;
import dev.agentmesh.testing.OpenAiServer;
import dev.agentmesh.topics.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nightly run end to end on a real broker with risk-fairness and the gate's judge model-backed, through the real
 * LangChain4j client against an OpenAI-compatible server this test starts (WireMock, answering from recorded
 * responses: no model can run here). risk-fairness's model blocks, the rules' advocates argue, the model judge rules
 * SHIP under a policy that lets it decide; every call is in the log with its tokens, the cost roll-up shows them, and
 * replaying the coordinator makes no call.
 */
class ModelJudgmentIT {

    static final Path ROOT = MeshServices.repoRoot();
    static final Path CREDIT_G = ROOT.resolveSibling("shared").resolve("data").resolve("credit-g.csv");
    static final Path WORK = ROOT.resolve("tools/meshctl/target/model-it-" + ProcessHandle.current().pid());
    static final Path KEYS = WORK.resolve("keys");
    static final Duration WAIT = Duration.ofMinutes(4);

    static EmbeddedKafka kafka;
    static WireMockServer model;
    static MeshServices services;
    static RunStateClient runState;
    static GrantIssued operatorGrant;

    static final String BLOCK = "{\"verdict\":\"BLOCK\",\"summary\":\"the age subgroup gap is too wide to ship\","
            + "\"evidence\":{\"gap.age\":\"0.31\"}}";
    static final String SHIP = "{\"verdict\":\"SHIP\",\"summary\":\"the gap rests on a small subgroup; the other three approve\","
            + "\"evidence\":{\"risk-fairness\":\"BLOCK on a small group\",\"model-quality\":\"APPROVE\"}}";

    @BeforeAll
    static void startMesh() throws Exception {
        model = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        model.start();
        model.stubFor(OpenAiServer.whenAsked("You are the risk-fairness specialist").willReturn(OpenAiServer.completion(BLOCK, 420, 60)));
        model.stubFor(OpenAiServer.whenAsked("You are the judge").willReturn(OpenAiServer.completion(SHIP, 900, 70)));
        Map<String, String> modelConfig = Map.of(
                "quarkus.langchain4j.openai.base-url", "http://localhost:" + model.port() + "/v1/",
                "quarkus.langchain4j.openai.api-key", "it-key",
                "quarkus.langchain4j.openai.chat-model.model-name", "recorded-model",
                "mesh.judgment.mode", "model",
                "mesh.judgment.price.input-per-million", "2.5",
                "mesh.judgment.price.output-per-million", "10");

        kafka = EmbeddedKafka.start();
        services = new MeshServices(ROOT, WORK);
        Map<String, Map<String, String>> config = new HashMap<>();
        MeshServices.SERVICES.forEach(s -> config.put(s, PrincipalTools.serviceConfig(KEYS)));
        config.put(PrincipalTools.ORCHESTRATOR, PrincipalTools.orchestratorConfig(KEYS));
        Map<String, String> riskFairness = new HashMap<>(config.get(Specialists.RISK_FAIRNESS));
        riskFairness.putAll(modelConfig);
        config.put(Specialists.RISK_FAIRNESS, riskFairness);
        Map<String, String> coordinator = new HashMap<>(config.get(PrincipalTools.COORDINATOR));
        coordinator.putAll(modelConfig);
        coordinator.put("mesh.judgment.advocates.mode", "rules");
        config.put(PrincipalTools.COORDINATOR, coordinator);
        List<String> started = MeshServices.SERVICES.stream().filter(s -> !s.equals("review")).toList();
        services.startAll(started, kafka.bootstrapServers(), config, Duration.ofMinutes(3));
        operatorGrant = PrincipalTools.issueNightlyGrant(kafka.bootstrapServers(), KEYS);
        runState = new RunStateClient(services.get("run-state").url());
    }

    @AfterAll
    static void stopMesh() {
        if (services != null) {
            services.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (model != null) {
            model.stop();
        }
    }

    static RunState awaitTerminal(String runId) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Optional<RunState> last = Optional.empty();
        while (System.nanoTime() < deadline) {
            last = runState.poll(runId);
            if (last.isPresent() && last.get().status().terminal()) {
                return last.get();
            }
            MeshServices.sleep(500);
        }
        throw new AssertionError("run " + runId + " did not finish in " + WAIT + ": " + last);
    }

    @Test
    void theNightlyRunShipsOnAModelJudgesRulingAndReplayingItCallsNoModel() throws Exception {
        Path grid = WORK.resolve("one-cell.yaml");
        Files.createDirectories(WORK);
        Files.writeString(grid, "name: one-cell\narchitectures: [{name: logistic, kind: logistic}]\nlearning_rates: [0.03]\n"
                + "batch_sizes: [64]\nepochs: 5\nseed: 42\npolicy: {max_concurrency: 1, cell_timeout: PT60S, max_attempts: 1, "
                + "min_successes: 1, on_partial: fail, mode: gather, cell_cost_estimate_ms: 100}\n");
        Path policy = WORK.resolve("judge-decides.yaml");
        Files.writeString(policy, "name: judge-decides\nspecialists: [model-quality, risk-fairness, cost, deployment-engineer]\n"
                + "assessment_timeout: PT60S\nreturn_when: {any_block: true, concerns_at_least: 2}\n"
                + "debate: {open_when: conflict, rounds: 2, judge: decide}\n");
        String bootstrap = kafka.bootstrapServers();
        String sweepGrant = PrincipalTools.issueSweepGrant(bootstrap, KEYS, operatorGrant, "run:it-model", 600_000).getGrantId();
        String gateGrant = PrincipalTools.issueGateGrant(bootstrap, KEYS, operatorGrant, "run:*").getGrantId();
        String runId = MeshFlowIT.meshctl("trigger", "--bootstrap", bootstrap, "--source", CREDIT_G.toString(),
                "--run-id", "it-model", "--grant", operatorGrant.getGrantId(), "--sweep-grant", sweepGrant,
                "--sweep-grid", grid.toString(), "--gate-grant", gateGrant, "--gate-policy", policy.toString());
        RunState state = awaitTerminal(runId);
        GateState gate = state.gate();
        assertEquals(RunStatus.COMPLETED, state.status(), () -> DemoCommand.gateTrail(state));

        GateState.Assessment risk = gate.assessments().get(Specialists.RISK_FAIRNESS);
        assertEquals("BLOCK", risk.verdict(), "the model's verdict");
        assertEquals("model:recorded-model", risk.evidence().get("judgment"));
        assertEquals("the age subgroup gap is too wide to ship", risk.summary());
        assertTrue(risk.evidence().containsKey("rules.summary"), "the rules' own finding stays beside the model's");
        assertEquals(4, gate.debate().arguments().size(), () -> DemoCommand.gateTrail(state));
        gate.debate().arguments().values().forEach(a -> assertEquals("rules", a.advocate()));
        assertEquals("SHIP", gate.debate().ruling().ruling());
        assertEquals("model:recorded-model", gate.debate().ruling().judge());
        assertTrue(gate.debate().ruling().binding());
        assertEquals("SHIP", gate.decision().disposition());
        assertTrue(gate.decision().reason().startsWith("the judge (model:recorded-model) ruled SHIP"), gate.decision().reason());
        assertEquals(480 + 970, state.tokens(), "both calls' tokens are in the run's cost");

        MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS, SerdeSettings.kafkaTopicStore(bootstrap));
        List<ModelCalled> calls = RunLog.records(bootstrap, runId, Duration.ofSeconds(30)).stream().map(LoggedRecord::value)
                .map(codec::decode).map(RunEvent::getPayload).filter(p -> p instanceof ModelCalled).map(p -> (ModelCalled) p).toList();
        assertEquals(List.of("assessment:risk-fairness", "debate:judge"), calls.stream().map(ModelCalled::getPurpose).sorted().toList());
        calls.forEach(c -> assertEquals(ModelCallOutcome.ANSWERED, c.getOutcome()));

        String url = services.get("run-state").url();
        String shown = MeshFlowIT.meshctl("runs", "show", runId, "--run-state-url", url);
        assertTrue(shown.contains("debate ruling       SHIP by model:recorded-model"), shown);
        String costs = MeshFlowIT.meshctl("runs", "costs", runId, "--run-state-url", url);
        assertTrue(costs.contains("SUBTREE TOK") && costs.contains("SUBTREE MONEY"), costs);
        assertTrue(costs.lines().anyMatch(l -> l.contains(" 1450 ") && l.contains("0.004600")),
                "the operator's subtree holds both calls' tokens and money: " + costs);

        int before = model.getAllServeEvents().size();
        MeshFlowIT.Result result = MeshFlowIT.meshctlResult("replay", "agent", "coordinator", "--run", runId, "--bootstrap", bootstrap);
        assertEquals(0, result.exit(), result::toString);
        String replayed = result.out();
        assertTrue(replayed.contains("identical") && replayed.contains("calls made to a model: 0")
                && replayed.contains("model calls answered from the recording: 1"), replayed);
        MeshFlowIT.Result specialist = MeshFlowIT.meshctlResult("replay", "agent", Specialists.RISK_FAIRNESS, "--run", runId,
                "--bootstrap", bootstrap);
        assertEquals(0, specialist.exit(), specialist::toString);
        assertTrue(specialist.out().contains("BLOCK by model:recorded-model, 1 call(s) replayed")
                && specialist.out().contains("identical"), specialist.out());
        MeshFlowIT.Result rulesOnly = MeshFlowIT.meshctlResult("replay", "agent", Specialists.COST, "--run", runId,
                "--bootstrap", bootstrap);
        assertTrue(rulesOnly.out().contains("judged by its rules"), rulesOnly.out());
        assertEquals(before, model.getAllServeEvents().size(), "replay sent nothing to the model server");
    }
}
