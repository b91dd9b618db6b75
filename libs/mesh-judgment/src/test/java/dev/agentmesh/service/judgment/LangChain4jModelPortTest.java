package dev.agentmesh.service.judgment;

import dev.agentmesh.judgment.ModelCallException;
import dev.agentmesh.judgment.ModelCallOutcome;
import dev.agentmesh.judgment.ModelPrompt;
import dev.agentmesh.judgment.ModelReply;
import dev.agentmesh.judgment.ModelSettings;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The adapter's contract: what it asks for, how failures are classed, and a GenAI span per call inside the caller's trace. */
class LangChain4jModelPortTest {

    static final ModelSettings SETTINGS = ModelSettings.builder("gpt-test").maxTokens(200).temperature(0.2)
            .timeout(Duration.ofSeconds(5)).build();
    static final ModelPrompt PROMPT = new ModelPrompt("system text", "user text", "{}", SETTINGS);

    /** Spans as ended, kept in memory. */
    static final class Collected implements SpanExporter {
        final List<SpanData> spans = new CopyOnWriteArrayList<>();

        @Override
        public CompletableResultCode export(Collection<SpanData> batch) {
            spans.addAll(batch);
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }

    /** A chat model that answers with {@code answer}, keeping the requests. */
    static final class Answering implements ChatModel {
        final Function<ChatRequest, ChatResponse> answer;
        final List<ChatRequest> requests = new ArrayList<>();

        Answering(Function<ChatRequest, ChatResponse> answer) {
            this.answer = answer;
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            requests.add(request);
            return answer.apply(request);
        }
    }

    @Test
    void aCallIsAGenAiSpanUnderTheCallersSpanWithItsTokens() {
        Collected collected = new Collected();
        SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(collected)).build();
        Tracer tracer = provider.get("test");
        Answering model = new Answering(r -> ChatResponse.builder().aiMessage(AiMessage.from("{\"verdict\":\"APPROVE\"}"))
                .tokenUsage(new TokenUsage(120, 30)).build());
        Span run = tracer.spanBuilder("run").startSpan();
        ModelReply reply;
        try (Scope ignored = run.makeCurrent()) {
            reply = new LangChain4jModelPort(model, tracer).complete(PROMPT);
        } finally {
            run.end();
        }
        assertEquals("{\"verdict\":\"APPROVE\"}", reply.text());
        assertEquals(120, reply.inputTokens());
        assertEquals(30, reply.outputTokens());
        ChatRequest sent = model.requests.get(0);
        assertEquals("gpt-test", sent.modelName());
        assertEquals(0.2, sent.temperature());
        assertEquals(200, sent.maxOutputTokens());
        assertEquals("JSON", String.valueOf(sent.responseFormat().type()));

        SpanData call = collected.spans.stream().filter(s -> s.getName().equals("chat gpt-test")).findFirst().orElseThrow();
        SpanData parent = collected.spans.stream().filter(s -> s.getName().equals("run")).findFirst().orElseThrow();
        assertEquals(parent.getSpanId(), call.getParentSpanId(), "inside the caller's trace");
        assertEquals(parent.getTraceId(), call.getTraceId());
        assertEquals("chat", call.getAttributes().get(LangChain4jModelPort.OPERATION));
        assertEquals("gpt-test", call.getAttributes().get(LangChain4jModelPort.REQUEST_MODEL));
        assertEquals(120L, call.getAttributes().get(LangChain4jModelPort.INPUT_TOKENS));
        assertEquals(30L, call.getAttributes().get(LangChain4jModelPort.OUTPUT_TOKENS));
        provider.close();
    }

    @Test
    void failuresAreClassedAndTheSpanSaysSo() {
        Collected collected = new Collected();
        SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(collected)).build();
        Tracer tracer = provider.get("test");
        ModelCallException limited = assertThrows(ModelCallException.class, () -> new LangChain4jModelPort(
                new Answering(r -> {
                    throw new HttpException(429, "{\"error\":\"rate limit\"}");
                }), tracer).complete(PROMPT));
        assertEquals(ModelCallOutcome.RATE_LIMITED, limited.outcome());
        ModelCallException slow = assertThrows(ModelCallException.class, () -> new LangChain4jModelPort(
                new Answering(r -> {
                    throw new RuntimeException("wrapped", new TimeoutException("read timed out"));
                }), tracer).complete(PROMPT));
        assertEquals(ModelCallOutcome.TIMEOUT, slow.outcome());
        ModelCallException other = assertThrows(ModelCallException.class, () -> new LangChain4jModelPort(
                new Answering(r -> {
                    throw new HttpException(500, "boom");
                }), tracer).complete(PROMPT));
        assertEquals(ModelCallOutcome.FAILED, other.outcome());
        assertEquals(3, collected.spans.size());
        collected.spans.forEach(s -> assertEquals(StatusCode.ERROR, s.getStatus().getStatusCode()));
        assertEquals("rate_limited", collected.spans.get(0).getAttributes().get(LangChain4jModelPort.ERROR_TYPE));
        provider.close();
    }
}
