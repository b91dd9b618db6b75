package dev.agentmesh.judgment;

import java.util.ArrayList;
import java.util.List;

/**
 * A judgment by a language model. The answer must meet the question's {@link AnswerSchema}; one that does not, or a
 * call that fails, is tried again up to the settings' attempts, and then the judgment fails with the last reason (a
 * model never produces an unvalidated verdict). A call that could exceed the spend limit is refused before it is made.
 * Every call, made or refused, is returned to be recorded.
 */
public final class ModelJudgment implements Judgment {

    static final int MAX_RECORDED = 32 * 1024;

    private final ModelPort port;
    private final ModelSettings settings;

    public ModelJudgment(ModelPort port, ModelSettings settings) {
        this.port = port;
        this.settings = settings;
    }

    @Override
    public String name() {
        return "model:" + settings.model();
    }

    public ModelSettings settings() {
        return settings;
    }

    @Override
    public Judged judge(Question question, Answer rules, SpendLimit limit) {
        List<ModelCalled> calls = new ArrayList<>();
        long spentTokens = 0;
        long spentMicros = 0;
        String correction = "";
        String last = "no attempt";
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            ModelPrompt prompt = new ModelPrompt(question.system() + "\n\nAnswer with one JSON object and nothing else. "
                    + "It must meet this JSON schema:\n" + question.schema().json(), question.facts() + correction,
                    question.schema().json(), settings);
            long expectedTokens = prompt.estimatedInputTokens() + settings.maxTokens();
            String refusal = limit.refusal(spentTokens, expectedTokens, spentMicros,
                    settings.moneyMicros(prompt.estimatedInputTokens(), settings.maxTokens()));
            if (refusal != null) {
                calls.add(record(question, attempt, prompt, null, ModelCallOutcome.REFUSED_BUDGET, "refused before the call: "
                        + refusal, 0, 0, 0));
                return Judged.failed("refused before the call: " + refusal, calls);
            }
            ModelReply reply;
            try {
                reply = port.complete(prompt);
            } catch (ModelCallException e) {
                last = e.outcome() + ": " + e.getMessage();
                calls.add(record(question, attempt, prompt, null, e.outcome(), e.getMessage(), 0, 0, e.latencyMs()));
                continue;
            } catch (ReplayMismatchException e) {
                throw new ReplayMismatchException("call " + attempt + " of " + question.purpose() + ": " + e.getMessage());
            }
            spentTokens += reply.inputTokens() + reply.outputTokens();
            spentMicros += settings.moneyMicros(reply.inputTokens(), reply.outputTokens());
            AnswerSchema.Parsed parsed = question.schema().parse(reply.text());
            if (parsed.answer() == null) {
                last = "MALFORMED: " + parsed.problem();
                calls.add(record(question, attempt, prompt, reply.text(), ModelCallOutcome.MALFORMED, parsed.problem(),
                        reply.inputTokens(), reply.outputTokens(), reply.latencyMs()));
                correction = "\n\nYour previous answer was rejected: " + parsed.problem()
                        + ". Answer again with one JSON object that meets the schema.";
                continue;
            }
            calls.add(record(question, attempt, prompt, reply.text(), ModelCallOutcome.ANSWERED, null,
                    reply.inputTokens(), reply.outputTokens(), reply.latencyMs()));
            return Judged.answered(parsed.answer(), calls);
        }
        return Judged.failed("no usable answer from " + settings.model() + " after " + settings.maxAttempts()
                + " attempts; last: " + last, calls);
    }

    private ModelCalled record(Question question, int attempt, ModelPrompt prompt, String response, ModelCallOutcome outcome,
                               String reason, long inputTokens, long outputTokens, long latencyMs) {
        var parameters = settings.parameters();
        parameters.put("response_schema", question.schema().json());
        return ModelCalled.newBuilder()
                .setPurpose(question.purpose())
                .setCallIndex(attempt)
                .setPromptHash(prompt.hash())
                .setPrompt(bounded(prompt.rendered()))
                .setModel(settings.model())
                .setParameters(parameters)
                .setResponse(response == null ? null : bounded(response))
                .setOutcome(outcome)
                .setReason(reason)
                .setInputTokens(inputTokens)
                .setOutputTokens(outputTokens)
                .setLatencyMs(latencyMs)
                .setMoneyMicros(settings.moneyMicros(inputTokens, outputTokens))
                .build();
    }

    private static String bounded(String s) {
        return s.length() <= MAX_RECORDED ? s : s.substring(0, MAX_RECORDED) + "... [" + (s.length() - MAX_RECORDED)
                + " more characters]";
    }
}
