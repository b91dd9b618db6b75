package dev.agentmesh.service;

import dev.agentmesh.core.MeshHeaders;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.smallrye.reactive.messaging.TracingMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Messages for a channel's emitter, keyed, with their headers and a run event's trace context exactly once. Where
 * SmallRye's Kafka tracing propagates context (it adds a {@code traceparent} header of its own), the event's context
 * goes to it as the parent of its producer span, instead of as a header beside it; elsewhere it is the header.
 */
@ApplicationScoped
public class OutgoingMessages {

    private static final TextMapGetter<Header> HEADER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Header carrier) {
            return List.of(MeshHeaders.TRACE_PARENT);
        }

        @Override
        public String get(Header carrier, String key) {
            return carrier != null && MeshHeaders.TRACE_PARENT.equals(key)
                    ? new String(carrier.value(), StandardCharsets.UTF_8) : null;
        }
    };

    private final boolean instrumented;

    @Inject
    public OutgoingMessages(OpenTelemetry openTelemetry,
                            @ConfigProperty(name = "mp.messaging.connector.smallrye-kafka.tracing-enabled", defaultValue = "true")
                            boolean tracing) {
        this(tracing && openTelemetry.getPropagators().getTextMapPropagator().fields().contains(MeshHeaders.TRACE_PARENT));
    }

    /** {@code instrumented}: the channel's tracing writes the {@code traceparent} header. */
    public OutgoingMessages(boolean instrumented) {
        this.instrumented = instrumented;
    }

    public Message<byte[]> message(String key, byte[] value, Headers headers) {
        var metadata = OutgoingKafkaRecordMetadata.<String>builder().withKey(key);
        Message<byte[]> message = Message.of(value);
        Header parent = headers == null ? null : headers.lastHeader(MeshHeaders.TRACE_PARENT);
        if (instrumented && parent != null) {
            RecordHeaders rest = new RecordHeaders(headers.toArray());
            rest.remove(MeshHeaders.TRACE_PARENT);
            metadata.withHeaders(rest);
            Context context = W3CTraceContextPropagator.getInstance().extract(Context.root(), parent, HEADER);
            message = message.addMetadata(TracingMetadata.with(context, context));
        } else if (headers != null) {
            metadata.withHeaders(headers);
        }
        return message.addMetadata(metadata.build());
    }
}
