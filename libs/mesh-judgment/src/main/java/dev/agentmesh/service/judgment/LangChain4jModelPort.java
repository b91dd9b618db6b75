package dev.agentmesh.service.judgment;

import dev.agentmesh.judgment.ModelCallException;
import dev.agentmesh.judgment.ModelCallOutcome;
import dev.agentmesh.judgment.ModelPort;
import dev.agentmesh.judgment.ModelPrompt;
import dev.agentmesh.judgment.ModelReply;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;

import java.util.Locale;

/**
 * A model behind an OpenAI-compatible endpoint, through the LangChain4j chat model Quarkus configures
 * ({@code quarkus.langchain4j.openai.*}). Asks for a JSON object; the caller validates it. A timeout, a 429 and any
 * other failure come back as a {@link ModelCallException} of that kind.
 */
public final class LangChain4jModelPort implements ModelPort {

    private final ChatModel model;

    public LangChain4jModelPort(ChatModel model) {
        this.model = model;
    }

    @Override
    public ModelReply complete(ModelPrompt prompt) {
        ChatRequest request = ChatRequest.builder()
                .messages(SystemMessage.from(prompt.system()), UserMessage.from(prompt.user()))
                .modelName(prompt.settings().model())
                .temperature(prompt.settings().temperature())
                .maxOutputTokens(prompt.settings().maxTokens())
                .responseFormat(ResponseFormat.JSON)
                .build();
        long t0 = System.nanoTime();
        ChatResponse response;
        try {
            response = model.chat(request);
        } catch (RuntimeException e) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            throw new ModelCallException(outcome(e), describe(e), ms);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        TokenUsage usage = response.tokenUsage();
        return new ModelReply(response.aiMessage() == null ? null : response.aiMessage().text(),
                usage == null || usage.inputTokenCount() == null ? 0 : usage.inputTokenCount(),
                usage == null || usage.outputTokenCount() == null ? 0 : usage.outputTokenCount(), ms);
    }

    static ModelCallOutcome outcome(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RateLimitException || (t instanceof HttpException h && h.statusCode() == 429)
                    || String.valueOf(t.getMessage()).contains("429")) {
                return ModelCallOutcome.RATE_LIMITED;
            }
            if (t instanceof TimeoutException || t.getClass().getSimpleName().toLowerCase(Locale.ROOT).contains("timeout")) {
                return ModelCallOutcome.TIMEOUT;
            }
        }
        return ModelCallOutcome.FAILED;
    }

    private static String describe(Throwable e) {
        StringBuilder out = new StringBuilder();
        for (Throwable t = e; t != null && out.length() < 600; t = t.getCause() == t ? null : t.getCause()) {
            out.append(out.length() == 0 ? "" : "; caused by ").append(t.getClass().getSimpleName()).append(": ")
                    .append(t.getMessage());
        }
        return out.length() > 600 ? out.substring(0, 600) : out.toString();
    }
}
