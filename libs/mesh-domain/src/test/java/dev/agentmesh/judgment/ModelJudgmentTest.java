package dev.agentmesh.judgment;

import dev.agentmesh.gate.Verdict;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelJudgmentTest {

    static final ModelSettings SETTINGS = ModelSettings.builder("gpt-test").maxTokens(100).maxAttempts(3)
            .timeout(Duration.ofSeconds(5)).prices(2.0, 8.0).build();
    static final AnswerSchema SCHEMA = AnswerSchema.of(Verdict.getClassSchema());
    static final Question QUESTION = new Question("assessment:risk-fairness", "You assess fairness.", "psi 0.3", SCHEMA);
    static final Answer RULES = new Answer("CONCERN", "rules say concern", Map.of());

    /** Answers in turn from a script; each entry either returns a reply or throws. */
    static final class Scripted implements ModelPort {
        final Deque<Supplier<ModelReply>> script = new LinkedList<>();
        final List<ModelPrompt> prompts = new ArrayList<>();

        Scripted then(String text) {
            script.add(() -> new ModelReply(text, 40, 10, 5));
            return this;
        }

        Scripted thenFail(ModelCallOutcome outcome) {
            script.add(() -> {
                throw new ModelCallException(outcome, outcome + " from the endpoint", 7);
            });
            return this;
        }

        @Override
        public ModelReply complete(ModelPrompt prompt) {
            prompts.add(prompt);
            return script.poll().get();
        }
    }

    static final String GOOD = "{\"verdict\":\"APPROVE\",\"summary\":\"psi is low\",\"evidence\":{\"psi\":\"0.3\"}}";

    @Test
    void aWellFormedAnswerIsTheVerdictAndTheCallIsRecordedWithItsCost() {
        Scripted port = new Scripted().then(GOOD);
        Judged judged = new ModelJudgment(port, SETTINGS).judge(QUESTION, RULES, SpendLimit.NONE);
        assertEquals(new Answer("APPROVE", "psi is low", Map.of("psi", "0.3")), judged.answer());
        ModelCalled call = judged.calls().get(0);
        assertEquals(ModelCallOutcome.ANSWERED, call.getOutcome());
        assertEquals(50, judged.tokens());
        assertEquals(40 * 2 + 10 * 8, call.getMoneyMicros());
        assertEquals(port.prompts.get(0).hash(), call.getPromptHash());
        assertTrue(call.getPrompt().contains("psi 0.3") && call.getPrompt().contains("\"enum\":[\"APPROVE\",\"CONCERN\",\"BLOCK\"]"),
                "the prompt carries the facts and the schema derived from the Avro enum: " + call.getPrompt());
        assertEquals(GOOD, call.getResponse());
        assertEquals("gpt-test", call.getModel());
        assertEquals("100", call.getParameters().get("max_tokens"));
    }

    @Test
    void aMalformedAnswerIsRetriedWithTheReasonAndNeverBecomesAVerdict() {
        Scripted port = new Scripted().then("I think it is fine").then("{\"verdict\":\"SHIP\",\"summary\":\"x\",\"evidence\":{}}")
                .then("```json\n" + GOOD + "\n```");
        Judged judged = new ModelJudgment(port, SETTINGS).judge(QUESTION, RULES, SpendLimit.NONE);
        assertEquals("APPROVE", judged.answer().verdict(), "a fenced answer that meets the schema is used");
        assertEquals(List.of(ModelCallOutcome.MALFORMED, ModelCallOutcome.MALFORMED, ModelCallOutcome.ANSWERED),
                judged.calls().stream().map(ModelCalled::getOutcome).toList());
        assertTrue(judged.calls().get(0).getReason().startsWith("the answer is not JSON"), judged.calls().get(0).getReason());
        assertTrue(judged.calls().get(1).getReason().contains("verdict must be one of [APPROVE, CONCERN, BLOCK]"));
        assertTrue(port.prompts.get(1).user().contains("Your previous answer was rejected: the answer is not JSON"));

        Judged never = new ModelJudgment(new Scripted().then("no").then("{}").then("{\"verdict\":\"APPROVE\"}"), SETTINGS)
                .judge(QUESTION, RULES, SpendLimit.NONE);
        assertFalse(never.usable());
        assertEquals(3, never.calls().size());
        assertTrue(never.failure().contains("after 3 attempts"), never.failure());
        assertEquals("{\"verdict\":\"APPROVE\"}", never.lastResponse(), "the raw answer is kept for review");
    }

    @Test
    void timeoutsAndRateLimitsAreRecordedAndRetried() {
        Judged judged = new ModelJudgment(new Scripted().thenFail(ModelCallOutcome.TIMEOUT)
                .thenFail(ModelCallOutcome.RATE_LIMITED).then(GOOD), SETTINGS).judge(QUESTION, RULES, SpendLimit.NONE);
        assertEquals(List.of(ModelCallOutcome.TIMEOUT, ModelCallOutcome.RATE_LIMITED, ModelCallOutcome.ANSWERED),
                judged.calls().stream().map(ModelCalled::getOutcome).toList());
        assertNull(judged.calls().get(0).getResponse());
        assertEquals(50, judged.tokens(), "a call that failed reported no tokens");
    }

    @Test
    void aCallThatCouldExceedTheBudgetIsRefusedBeforeItIsMade() {
        Scripted port = new Scripted().then(GOOD);
        Judged judged = new ModelJudgment(port, SETTINGS).judge(QUESTION, RULES, new SpendLimit(120L, null));
        assertFalse(judged.usable());
        assertTrue(port.prompts.isEmpty(), "no call was made");
        assertEquals(ModelCallOutcome.REFUSED_BUDGET, judged.calls().get(0).getOutcome());
        assertTrue(judged.failure().contains("token budget: 120 left"), judged.failure());

        Judged money = new ModelJudgment(port, SETTINGS).judge(QUESTION, RULES, new SpendLimit(null, 100L));
        assertTrue(money.failure().contains("money budget"), money.failure());
        assertTrue(port.prompts.isEmpty());
    }

    @Test
    void replayAnswersFromTheRecordingAndFailsLoudlyOnADifferentPrompt() {
        Judged live = new ModelJudgment(new Scripted().then("nope").then(GOOD), SETTINGS).judge(QUESTION, RULES, SpendLimit.NONE);
        RecordedModelPort recorded = new RecordedModelPort(live.calls());
        Judged replayed = new ModelJudgment(recorded, SETTINGS).judge(QUESTION, RULES, SpendLimit.NONE);
        assertEquals(live.answer(), replayed.answer());
        assertEquals(live.calls(), replayed.calls(), "the same calls, byte for byte");
        assertEquals(2, recorded.answered());

        Question changed = new Question(QUESTION.purpose(), "You assess fairness strictly.", QUESTION.facts(), SCHEMA);
        ReplayMismatchException e = assertThrows(ReplayMismatchException.class, () ->
                new ModelJudgment(new RecordedModelPort(live.calls()), SETTINGS).judge(changed, RULES, SpendLimit.NONE));
        assertTrue(e.getMessage().startsWith("call 1 of assessment:risk-fairness"), e.getMessage());
    }

    @Test
    void theRulesJudgmentReturnsTheRolesOwnAnswerAndCallsNothing() {
        Judged judged = Judgment.rules().judge(QUESTION, RULES, new SpendLimit(0L, 0L));
        assertEquals(RULES, judged.answer());
        assertTrue(judged.calls().isEmpty());
    }
}
