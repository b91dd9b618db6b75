package dev.agentmesh.service.judgment;

import dev.agentmesh.core.Excerpt;
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
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import jakarta.ws.rs.WebApplicationException;

import java.util.Locale;

/**
 * A model behind an OpenAI-compatible endpoint, through a LangChain4j chat model. Asks for a JSON object; the caller
 * validates it. A timeout, a 429 and any other failure come back as a {@link ModelCallException} of that kind. Each
 * call is a client span under the current context (the run's trace, continued from the incoming record), with the
 * OpenTelemetry GenAI attributes.
 */
public final class LangChain4jModelPort implements ModelPort {

    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("gen_ai.system");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<Double> TEMPERATURE = AttributeKey.doubleKey("gen_ai.request.temperature");
    static final AttributeKey<Long> MAX_TOKENS = AttributeKey.longKey("gen_ai.request.max_tokens");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    private final ChatModel model;
    private final Tracer tracer;

    public LangChain4jModelPort(ChatModel model, Tracer tracer) {
        this.model = model;
        this.tracer = tracer;
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
        Span span = tracer.spanBuilder("chat " + prompt.settings().model()).setSpanKind(SpanKind.CLIENT)
                .setAttribute(OPERATION, "chat").setAttribute(SYSTEM, "openai")
                .setAttribute(REQUEST_MODEL, prompt.settings().model())
                .setAttribute(TEMPERATURE, prompt.settings().temperature())
                .setAttribute(MAX_TOKENS, (long) prompt.settings().maxTokens())
                .startSpan();
        long t0 = System.nanoTime();
        try (Scope ignored = span.makeCurrent()) {
            ChatResponse response = model.chat(request);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            TokenUsage usage = response.tokenUsage();
            long input = usage == null || usage.inputTokenCount() == null ? 0 : usage.inputTokenCount();
            long output = usage == null || usage.outputTokenCount() == null ? 0 : usage.outputTokenCount();
            span.setAttribute(INPUT_TOKENS, input).setAttribute(OUTPUT_TOKENS, output);
            return new ModelReply(response.aiMessage() == null ? null : response.aiMessage().text(), input, output, ms);
        } catch (RuntimeException e) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            ModelCallOutcome outcome = outcome(e);
            span.setStatus(StatusCode.ERROR, outcome.name()).setAttribute(ERROR_TYPE, outcome.name().toLowerCase(Locale.ROOT));
            throw new ModelCallException(outcome, describe(e), ms);
        } finally {
            span.end();
        }
    }

    static ModelCallOutcome outcome(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RateLimitException || (t instanceof HttpException h && h.statusCode() == 429)
                    || (t instanceof WebApplicationException w && w.getResponse() != null && w.getResponse().getStatus() == 429)) {
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
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            out.append(out.length() == 0 ? "" : "; caused by ").append(t.getClass().getSimpleName()).append(": ")
                    .append(t.getMessage());
        }
        return Excerpt.reason(out.toString());
    }
}
