package dev.agentmesh.team;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Stages;
import dev.agentmesh.gate.DebateArgued;
import dev.agentmesh.gate.DebateJudged;
import dev.agentmesh.gate.Disposition;
import dev.agentmesh.gate.GateDecided;
import dev.agentmesh.gate.Ruling;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.judgment.Judgment;
import dev.agentmesh.judgment.ModelCallOutcome;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.judgment.ModelJudgment;
import dev.agentmesh.judgment.ModelPort;
import dev.agentmesh.judgment.ModelPrompt;
import dev.agentmesh.judgment.ModelReply;
import dev.agentmesh.judgment.ModelSettings;
import dev.agentmesh.judgment.RecordedModelPort;
import dev.agentmesh.judgment.SpendLimit;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.runstate.GateState;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.RunStatus;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static dev.agentmesh.team.GateDeciderTest.T0;
import static dev.agentmesh.team.GateDeciderTest.answer;
import static dev.agentmesh.team.GateDeciderTest.apply;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GateDebateTest {

    static final Envelopes COORDINATOR = new Envelopes("coordinator", "c-1", Clock.fixed(T0, ZoneOffset.UTC));

    static GatePolicy policy(String judge) {
        return GatePolicy.read(new ByteArrayInputStream(("name: debating\nspecialists: [model-quality, risk-fairness, cost, "
                + "deployment-engineer]\nassessment_timeout: PT60S\nreturn_when: {any_block: true, concerns_at_least: 2}\n"
                + "debate: {open_when: conflict, rounds: 2, judge: " + judge + "}\n").getBytes(StandardCharsets.UTF_8)));
    }

    /** The run with every specialist's answer in: risk-fairness gives {@code riskFairness}, the others approve. */
    static RunState answered(GateDecider decider, GatePolicy policy, Verdict riskFairness) {
        RunState s = GateDeciderTest.sweptRun();
        s = apply(s, decider.open(s, policy, GateDeciderTest.ALLOWED, T0).runEvents());
        for (String sp : Specialists.ALL) {
            s = RunStateReducer.apply(s, answer(s, sp, sp.equals(Specialists.RISK_FAIRNESS) ? riskFairness : Verdict.APPROVE));
        }
        return s;
    }

    static <T> List<T> payloads(List<RunEvent> events, Class<T> type) {
        return events.stream().map(RunEvent::getPayload).filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void conflictingAssessmentsOpenADebateInTheDefaultPolicyWhoseRulingIsInTheTrail() {
        GatePolicy policy = GatePolicy.load(GatePolicy.DEFAULT);
        GateDecider decider = new GateDecider(COORDINATOR);
        RunState s = answered(decider, policy, Verdict.BLOCK);
        GateDecider.Outputs out = decider.next(s, policy, T0.plusSeconds(1));
        List<DebateArgued> arguments = payloads(out.runEvents(), DebateArgued.class);
        assertEquals(List.of("SHIP-1", "HOLD-1", "SHIP-2", "HOLD-2"),
                arguments.stream().map(a -> a.getSide() + "-" + a.getRound()).toList());
        assertEquals("risk-fairness says BLOCK", arguments.get(1).getEvidence().get("risk-fairness"),
                "the advocate for holding cites the blocking assessment");
        assertEquals("1.0", arguments.get(3).getEvidence().get("risk-fairness.x"), "later rounds cite measurements");
        DebateJudged judged = payloads(out.runEvents(), DebateJudged.class).get(0);
        assertEquals(Ruling.HOLD, judged.getRuling());
        assertFalse(judged.getBinding(), "the default judge recommends");
        assertEquals("rules", judged.getJudge());
        GateDecided decided = payloads(out.runEvents(), GateDecided.class).get(0);
        assertEquals(Disposition.RETURN_TO_PRINCIPAL, decided.getDisposition());
        assertTrue(decided.getReason().contains("the judge (rules) recommends HOLD"), decided.getReason());
        assertTrue(payloads(out.runEvents(), ModelCalled.class).isEmpty(), "rules call no model");

        s = apply(s, out.runEvents());
        assertEquals(RunStatus.AWAITING_PRINCIPAL, s.status());
        GateState.Debate debate = s.gate().debate();
        assertEquals(4, debate.arguments().size());
        assertEquals("HOLD", debate.ruling().ruling());
        RunState before = answered(decider, policy, Verdict.BLOCK);
        assertEquals(decider.next(before, policy, T0.plusSeconds(1)).runEvents().stream().map(e -> e.getEnvelope().getEventId()).toList(),
                decider.next(before, policy, T0.plusSeconds(9)).runEvents().stream().map(e -> e.getEnvelope().getEventId()).toList(),
                "a restarted coordinator holds the same debate under the same event ids");
    }

    @Test
    void agreementOrAMissingSpecialistOpensNoDebate() {
        GatePolicy policy = policy("decide");
        GateDecider decider = new GateDecider(COORDINATOR);
        RunState s = answered(decider, policy, Verdict.APPROVE);
        assertTrue(payloads(decider.next(s, policy, T0.plusSeconds(1)).runEvents(), DebateArgued.class).isEmpty());
    }

    @Test
    void aJudgeThatDecidesHoldsTheRunOnABlock() {
        GatePolicy policy = policy("decide");
        GateDecider decider = new GateDecider(COORDINATOR);
        RunState s = answered(decider, policy, Verdict.BLOCK);
        GateDecider.Outputs out = decider.next(s, policy, T0.plusSeconds(1));
        assertTrue(out.deploy().isEmpty());
        assertTrue(payloads(out.runEvents(), GateDecided.class).isEmpty());
        StageFailed failed = payloads(out.runEvents(), StageFailed.class).get(0);
        assertEquals(Stages.GATE, failed.getStage());
        assertTrue(failed.getReason().startsWith("held by the judge (rules) after the debate: Hold: risk-fairness blocks"),
                failed.getReason());
        assertEquals(RunStatus.FAILED, apply(s, out.runEvents()).status());
    }

    /** A model that answers by purpose; it counts what it is asked. */
    static final class ByPurpose implements ModelPort {
        final Function<String, String> answers;
        final List<ModelPrompt> asked = new ArrayList<>();

        ByPurpose(Function<String, String> answers) {
            this.answers = answers;
        }

        @Override
        public ModelReply complete(ModelPrompt prompt) {
            asked.add(prompt);
            return new ModelReply(answers.apply(prompt.system()), 300, 50, 12);
        }
    }

    @Test
    void aModelBackedJudgeThatDecidesShipsAndEveryCallIsAnEventWithItsTokens() {
        GatePolicy policy = policy("decide");
        ModelSettings settings = ModelSettings.builder("judge-model").maxTokens(200).prices(1.0, 4.0).build();
        ByPurpose model = new ByPurpose(system -> system.contains("advocate for shipping")
                ? "{\"verdict\":\"SHIP\",\"summary\":\"three approve\",\"evidence\":{\"model-quality.x\":\"1.0\"}}"
                : system.contains("advocate for holding")
                ? "{\"verdict\":\"HOLD\",\"summary\":\"fairness blocks\",\"evidence\":{\"risk-fairness\":\"BLOCK\"}}"
                : "{\"verdict\":\"SHIP\",\"summary\":\"the block is on a tiny group\",\"evidence\":{\"risk-fairness.x\":\"1.0\"}}");
        ModelJudgment judgment = new ModelJudgment(model, settings);
        GateDecider decider = new GateDecider(COORDINATOR, new GateDebate(judgment, judgment));
        RunState s = answered(decider, policy, Verdict.BLOCK);
        GateDecider.Outputs out = decider.next(s, policy, T0.plusSeconds(1));

        List<ModelCalled> calls = payloads(out.runEvents(), ModelCalled.class);
        assertEquals(List.of("debate:ship:1", "debate:hold:1", "debate:ship:2", "debate:hold:2", "debate:judge"),
                calls.stream().map(ModelCalled::getPurpose).toList());
        assertEquals(5, model.asked.size());
        assertTrue(model.asked.get(2).user().contains("Round 1, advocate for HOLD: fairness blocks"),
                "later rounds see what was argued before");
        assertEquals("model:judge-model", payloads(out.runEvents(), DebateJudged.class).get(0).getJudge());
        assertTrue(out.deploy().isPresent(), "a binding SHIP ruling ships");
        assertEquals(Disposition.SHIP, payloads(out.runEvents(), GateDecided.class).get(0).getDisposition());
        out.runEvents().stream().filter(e -> e.getPayload() instanceof ModelCalled)
                .forEach(e -> assertEquals(350, e.getEnvelope().getCost().getTokens()));
        RunState after = apply(s, out.runEvents());
        assertEquals(s.tokens() + 5 * 350, after.tokens(), "the run's cost roll-up counts every call's tokens");
        assertEquals(5 * (300 + 200), after.costByGrant().get("g-coord").moneyMicros()
                - s.costByGrant().getOrDefault("g-coord", new RunState.GrantCost(0, 0, 0, 0)).moneyMicros());

        // Replay answers from the recorded calls, makes none, and decides the same.
        RecordedModelPort recorded = new RecordedModelPort(calls);
        ModelJudgment replayed = new ModelJudgment(recorded, settings);
        GateDecider.Outputs again = new GateDecider(COORDINATOR, new GateDebate(replayed, replayed)).next(s, policy, T0.plusSeconds(1));
        assertEquals(out.runEvents(), again.runEvents());
        assertEquals(5, recorded.answered());
        assertEquals(5, model.asked.size(), "replay asked the model nothing");
    }

    @Test
    void aJudgeWithoutUsableAnswersLeavesTheRunWithThePrincipal() {
        GatePolicy policy = policy("decide");
        ModelJudgment broken = new ModelJudgment(prompt -> new ModelReply("not json", 10, 10, 1),
                ModelSettings.builder("m").maxAttempts(2).build());
        GateDecider decider = new GateDecider(COORDINATOR, new GateDebate(Judgment.rules(), broken));
        RunState s = answered(decider, policy, Verdict.BLOCK);
        GateDecider.Outputs out = decider.next(s, policy, T0.plusSeconds(1));
        assertEquals(List.of(ModelCallOutcome.MALFORMED, ModelCallOutcome.MALFORMED),
                payloads(out.runEvents(), ModelCalled.class).stream().map(ModelCalled::getOutcome).toList());
        GateDecided decided = payloads(out.runEvents(), GateDecided.class).get(0);
        assertEquals(Disposition.RETURN_TO_PRINCIPAL, decided.getDisposition());
        assertTrue(decided.getReason().contains("the debate could not finish (the judge gave no usable ruling"),
                decided.getReason());
        assertEquals(RunStatus.AWAITING_PRINCIPAL, apply(s, out.runEvents()).status());
    }

    @Test
    void theBudgetBoundsTheWholeDebate() {
        GatePolicy policy = policy("decide");
        ByPurpose model = new ByPurpose(system -> "{\"verdict\":\"SHIP\",\"summary\":\"s\",\"evidence\":{}}");
        ModelJudgment judgment = new ModelJudgment(model, ModelSettings.builder("m").maxTokens(50).build());
        GateDecider decider = new GateDecider(COORDINATOR, new GateDebate(judgment, judgment));
        RunState s = answered(decider, policy, Verdict.BLOCK);
        GateDecider.Outputs out = decider.next(s, policy, T0.plusSeconds(1), new SpendLimit(1200L, null));
        List<ModelCalled> calls = payloads(out.runEvents(), ModelCalled.class);
        assertTrue(model.asked.size() < 5, "the budget stopped the calls: " + model.asked.size());
        assertEquals(ModelCallOutcome.REFUSED_BUDGET, calls.get(calls.size() - 1).getOutcome());
        assertTrue(calls.stream().mapToLong(c -> c.getInputTokens() + c.getOutputTokens()).sum() <= 1200);
        assertEquals(Disposition.RETURN_TO_PRINCIPAL, payloads(out.runEvents(), GateDecided.class).get(0).getDisposition());
    }
}
