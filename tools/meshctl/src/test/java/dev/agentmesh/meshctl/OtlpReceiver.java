package dev.agentmesh.meshctl;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OTLP/HTTP trace receiver ({@code POST /v1/traces}, protobuf) in the test's JVM: what the services' OpenTelemetry
 * SDK exports when it is switched on, decoded with OTLP's own protobuf messages.
 */
final class OtlpReceiver implements AutoCloseable {

    /** One exported span: the service that made it, its trace, name, kind and string attributes. */
    record Received(String service, String traceId, String name, String kind, Map<String, String> attributes) {
    }

    private final HttpServer server;
    private final List<Received> spans = new CopyOnWriteArrayList<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();

    OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::receive); // /v1/traces, or the bare endpoint if the exporter posts there
        server.start();
    }

    /** The endpoint to give {@code quarkus.otel.exporter.otlp.traces.endpoint}. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Received> spans() {
        return List.copyOf(spans);
    }

    /** Requests received, and what could not be read of them. */
    String requests() {
        return requests.get() + " request(s), failures: " + failures;
    }

    private void receive(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        try {
            read(exchange);
        } catch (RuntimeException | Error e) {
            failures.add(exchange.getRequestURI() + ": " + e);
            exchange.sendResponseHeaders(400, -1);
            exchange.close();
        }
    }

    private void read(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(in.readAllBytes());
            for (ResourceSpans resource : request.getResourceSpansList()) {
                String service = attributes(resource.getResource().getAttributesList()).get("service.name");
                for (ScopeSpans scope : resource.getScopeSpansList()) {
                    for (Span span : scope.getSpansList()) {
                        spans.add(new Received(service, HexFormat.of().formatHex(span.getTraceId().toByteArray()),
                                span.getName(), span.getKind().name(), attributes(span.getAttributesList())));
                    }
                }
            }
        }
        byte[] body = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
        exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static Map<String, String> attributes(List<KeyValue> values) {
        Map<String, String> attributes = new TreeMap<>();
        values.forEach(kv -> attributes.put(kv.getKey(), kv.getValue().hasStringValue() ? kv.getValue().getStringValue()
                : kv.getValue().toString().trim()));
        return attributes;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
