package dev.agentmesh.team;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Stages;
import dev.agentmesh.gate.DebateArgued;
import dev.agentmesh.gate.DebateJudged;
import dev.agentmesh.gate.DebateOpened;
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

    /** The coordinator opened the debate ({@code opened}), the worker held it ({@code debated}), the gate decided. */
    record Flow(RunState state, List<RunEvent> opened, List<RunEvent> debated, GateDecider.Outputs decided) {
        List<RunEvent> all() {
            List<RunEvent> all = new ArrayList<>(opened);
            all.addAll(debated);
            all.addAll(decided.runEvents());
            return all;
        }
    }

    static Flow flow(GateDebate debate, GatePolicy policy, RunState s, SpendLimit limit) {
        GateDecider decider = new GateDecider(COORDINATOR);
        GateDecider.Outputs opening = decider.next(s, policy, T0.plusSeconds(1));
        assertEquals(1, payloads(opening.runEvents(), DebateOpened.class).size(), "a conflict opens the debate");
        assertTrue(payloads(opening.runEvents(), GateDecided.class).isEmpty(), "and is not decided before it rules");
        s = apply(s, opening.runEvents());
        assertTrue(decider.next(s, policy, T0.plusSeconds(2)).runEvents().isEmpty(), "the gate waits for the ruling");
        List<RunEvent> debated = debate.run(opening.runEvents().get(0), COORDINATOR, limit);
        s = apply(s, debated);
        GateDecider.Outputs decided = decider.next(s, policy, T0.plusSeconds(3));
        return new Flow(apply(s, decided.runEvents()), opening.runEvents(), debated, decided);
    }

    @Test
    void conflictingAssessmentsOpenADebateInTheDefaultPolicyWhoseRulingIsInTheTrail() {
        GatePolicy policy = GatePolicy.load(GatePolicy.DEFAULT);
        RunState before = answered(new GateDecider(COORDINATOR), policy, Verdict.BLOCK);
        Flow flow = flow(GateDebate.rules(), policy, before, SpendLimit.NONE);
        List<DebateArgued> arguments = payloads(flow.debated(), DebateArgued.class);
        assertEquals(List.of("SHIP-1", "HOLD-1", "SHIP-2", "HOLD-2"),
                arguments.stream().map(a -> a.getSide() + "-" + a.getRound()).toList());
        assertEquals("risk-fairness says BLOCK", arguments.get(1).getEvidence().get("risk-fairness"),
                "the advocate for holding cites the blocking assessment");
        assertEquals("1.0", arguments.get(3).getEvidence().get("risk-fairness.x"), "later rounds cite measurements");
        DebateJudged judged = payloads(flow.debated(), DebateJudged.class).get(0);
        assertEquals(Ruling.HOLD, judged.getRuling());
        assertFalse(judged.getBinding(), "the default judge recommends");
        assertEquals("rules", judged.getJudge());
        GateDecided decided = payloads(flow.decided().runEvents(), GateDecided.class).get(0);
        assertEquals(Disposition.RETURN_TO_PRINCIPAL, decided.getDisposition());
        assertTrue(decided.getReason().contains("the judge (rules) recommends HOLD"), decided.getReason());
        assertTrue(payloads(flow.debated(), ModelCalled.class).isEmpty(), "rules call no model");

        assertEquals(RunStatus.AWAITING_PRINCIPAL, flow.state().status());
        GateState.Debate debate = flow.state().gate().debate();
        assertEquals(4, debate.arguments().size());
        assertEquals("HOLD", debate.ruling().ruling());
        assertEquals(flow.opened().get(0).getEnvelope().getEventId(), debate.openedEventId());
        assertEquals(flow.debated().stream().map(e -> e.getEnvelope().getEventId()).toList(),
                GateDebate.rules().run(flow.opened().get(0), COORDINATOR, SpendLimit.NONE).stream()
                        .map(e -> e.getEnvelope().getEventId()).toList(),
                "a redelivered opening is argued under the same event ids");
    }

    @Test
    void agreementOpensNoDebate() {
        GatePolicy policy = policy("decide");
        GateDecider decider = new GateDecider(COORDINATOR);
        RunState s = answered(decider, policy, Verdict.APPROVE);
        GateDecider.Outputs out = decider.next(s, policy, T0.plusSeconds(1));
        assertTrue(payloads(out.runEvents(), DebateOpened.class).isEmpty());
        assertTrue(out.deploy().isPresent());
    }

    @Test
    void aDebateThatDoesNotRuleByItsDeadlineIsFlaggedForAPerson() {
        GatePolicy policy = policy("decide");
        GateDecider decider = new GateDecider(COORDINATOR);
        RunState s = answered(decider, policy, Verdict.BLOCK);
        s = apply(s, decider.next(s, policy, T0.plusSeconds(1)).runEvents());
        GateDecider.Outputs late = decider.next(s, policy, T0.plusSeconds(1).plus(policy.assessmentTimeout()));
        GateDecided decided = payloads(late.runEvents(), GateDecided.class).get(0);
        assertEquals(Disposition.RETURN_TO_PRINCIPAL, decided.getDisposition());
        assertTrue(decided.getReason().contains("the debate did not rule by its deadline"), decided.getReason());
    }

    @Test
    void aJudgeThatDecidesHoldsTheRunOnABlock() {
        GatePolicy policy = policy("decide");
        Flow flow = flow(GateDebate.rules(), policy, answered(new GateDecider(COORDINATOR), policy, Verdict.BLOCK), SpendLimit.NONE);
        assertTrue(flow.decided().deploy().isEmpty());
        assertTrue(payloads(flow.decided().runEvents(), GateDecided.class).isEmpty());
        StageFailed failed = payloads(flow.decided().runEvents(), StageFailed.class).get(0);
        assertEquals(Stages.GATE, failed.getStage());
        assertTrue(failed.getReason().startsWith("held by the judge (rules) after the debate: Hold: risk-fairness blocks"),
                failed.getReason());
        assertEquals(RunStatus.FAILED, flow.state().status());
    }

    /** A model that answers by the role in its system prompt; it keeps what it was asked. */
    static final class ByRole implements ModelPort {
        final Function<String, String> answers;
        final List<ModelPrompt> asked = new ArrayList<>();

        ByRole(Function<String, String> answers) {
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
        ByRole model = new ByRole(system -> system.contains("advocate for shipping")
                ? "{\"verdict\":\"SHIP\",\"summary\":\"three approve\",\"evidence\":{\"model-quality.x\":\"1.0\"}}"
                : system.contains("advocate for holding")
                ? "{\"verdict\":\"HOLD\",\"summary\":\"fairness blocks\",\"evidence\":{\"risk-fairness\":\"BLOCK\"}}"
                : "{\"verdict\":\"SHIP\",\"summary\":\"the block is on a tiny group\",\"evidence\":{\"risk-fairness.x\":\"1.0\"}}");
        ModelJudgment judgment = new ModelJudgment(model, settings);
        RunState before = answered(new GateDecider(COORDINATOR), policy, Verdict.BLOCK);
        Flow flow = flow(new GateDebate(judgment, judgment), policy, before, SpendLimit.NONE);

        List<ModelCalled> calls = payloads(flow.debated(), ModelCalled.class);
        assertEquals(List.of("debate:ship:1", "debate:hold:1", "debate:ship:2", "debate:hold:2", "debate:judge"),
                calls.stream().map(ModelCalled::getPurpose).toList());
        assertEquals(5, model.asked.size());
        assertTrue(model.asked.get(2).user().contains("Round 1, advocate for HOLD: fairness blocks"),
                "later rounds see what was argued before");
        assertEquals("model:judge-model", payloads(flow.debated(), DebateJudged.class).get(0).getJudge());
        assertTrue(flow.decided().deploy().isPresent(), "a binding SHIP ruling ships");
        assertEquals(Disposition.SHIP, payloads(flow.decided().runEvents(), GateDecided.class).get(0).getDisposition());
        flow.debated().stream().filter(e -> e.getPayload() instanceof ModelCalled)
                .forEach(e -> assertEquals(350, e.getEnvelope().getCost().getTokens()));
        assertEquals(before.tokens() + 5 * 350, flow.state().tokens(), "the run's cost roll-up counts every call's tokens");
        assertEquals(5 * (300 + 200), flow.state().costByGrant().get("g-coord").moneyMicros()
                - before.costByGrant().getOrDefault("g-coord", new RunState.GrantCost(0, 0, 0, 0)).moneyMicros());

        // Replay answers from the recorded calls, makes none, and argues and rules the same.
        RecordedModelPort recorded = new RecordedModelPort(calls);
        ModelJudgment replayed = new ModelJudgment(recorded, settings);
        assertEquals(flow.debated(), new GateDebate(replayed, replayed).run(flow.opened().get(0), COORDINATOR, SpendLimit.NONE));
        assertEquals(5, recorded.answered());
        assertEquals(5, model.asked.size(), "replay asked the model nothing");
    }

    @Test
    void aJudgeWithoutUsableAnswersLeavesTheRunWithThePrincipal() {
        GatePolicy policy = policy("decide");
        ModelJudgment broken = new ModelJudgment(prompt -> new ModelReply("not json", 10, 10, 1),
                ModelSettings.builder("m").maxAttempts(2).build());
        Flow flow = flow(new GateDebate(Judgment.rules(), broken), policy,
                answered(new GateDecider(COORDINATOR), policy, Verdict.BLOCK), SpendLimit.NONE);
        assertEquals(List.of(ModelCallOutcome.MALFORMED, ModelCallOutcome.MALFORMED),
                payloads(flow.debated(), ModelCalled.class).stream().map(ModelCalled::getOutcome).toList());
        assertEquals("not json", payloads(flow.debated(), ModelCalled.class).get(1).getResponse(), "the raw answer is kept");
        GateDecided decided = payloads(flow.decided().runEvents(), GateDecided.class).get(0);
        assertEquals(Disposition.RETURN_TO_PRINCIPAL, decided.getDisposition());
        assertTrue(decided.getReason().contains("the debate could not finish (the judge gave no usable ruling"),
                decided.getReason());
        assertEquals(RunStatus.AWAITING_PRINCIPAL, flow.state().status());
    }

    @Test
    void theBudgetBoundsTheWholeDebate() {
        GatePolicy policy = policy("decide");
        ByRole model = new ByRole(system -> "{\"verdict\":\"SHIP\",\"summary\":\"s\",\"evidence\":{}}");
        ModelJudgment judgment = new ModelJudgment(model, ModelSettings.builder("m").maxTokens(50).build());
        Flow flow = flow(new GateDebate(judgment, judgment), policy,
                answered(new GateDecider(COORDINATOR), policy, Verdict.BLOCK), new SpendLimit(1200L, null));
        List<ModelCalled> calls = payloads(flow.debated(), ModelCalled.class);
        assertTrue(model.asked.size() < 5, "the budget stopped the calls: " + model.asked.size());
        assertEquals(ModelCallOutcome.REFUSED_BUDGET, calls.get(calls.size() - 1).getOutcome());
        assertTrue(calls.stream().mapToLong(c -> c.getInputTokens() + c.getOutputTokens()).sum() <= 1200);
        assertEquals(Disposition.RETURN_TO_PRINCIPAL, payloads(flow.decided().runEvents(), GateDecided.class).get(0).getDisposition());
    }
}
