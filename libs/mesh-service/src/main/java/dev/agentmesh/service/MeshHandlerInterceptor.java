package dev.agentmesh.service;

import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.core.MeshHeaders;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.Priority;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jboss.logging.MDC;

import java.nio.charset.StandardCharsets;

/**
 * Metrics and log context for every {@link MeshHandler}: {@code mesh.events.handled} and {@code mesh.events.failed}
 * (by topic), {@code mesh.dead-letter.records} (a failed record is dead-lettered), {@code mesh.handler.latency}; MDC
 * keys {@code runId} and {@code eventId} from the record's headers, so plain and JSON logs carry them.
 */
@MeshHandler
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_AFTER)
public class MeshHandlerInterceptor {

    /** Records sent to the dead-letter topic, by the topic they came from; services that dead-letter by hand count here too. */
    public static final String DEAD_LETTER_RECORDS = "mesh.dead-letter.records";
    public static final String MDC_RUN_ID = "runId";
    public static final String MDC_EVENT_ID = "eventId";

    private final MeterRegistry metrics;

    public MeshHandlerInterceptor(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    @AroundInvoke
    Object around(InvocationContext context) throws Exception {
        String topic = "none";
        for (Object parameter : context.getParameters()) {
            if (parameter instanceof ConsumerRecord<?, ?> r) {
                topic = r.topic();
                MDC.put(MDC_RUN_ID, header(r, MeshHeaders.RUN_ID, r.key() instanceof byte[] key
                        ? new String(key, StandardCharsets.UTF_8) : String.valueOf(r.key())));
                MDC.put(MDC_EVENT_ID, header(r, MeshHeaders.EVENT_ID, "-"));
            } else if (parameter instanceof LoggedRecord r) {
                topic = r.topic();
                MDC.put(MDC_RUN_ID, r.headers().getOrDefault(MeshHeaders.RUN_ID, String.valueOf(r.key())));
                MDC.put(MDC_EVENT_ID, r.headers().getOrDefault(MeshHeaders.EVENT_ID, "-"));
            }
        }
        Timer.Sample sample = Timer.start(metrics);
        try {
            Object result = context.proceed();
            metrics.counter("mesh.events.handled", "topic", topic).increment();
            return result;
        } catch (Exception | Error e) {
            metrics.counter("mesh.events.failed", "topic", topic, "exception", e.getClass().getSimpleName()).increment();
            metrics.counter(DEAD_LETTER_RECORDS, "topic", topic).increment();
            throw e;
        } finally {
            sample.stop(metrics.timer("mesh.handler.latency", "topic", topic));
            MDC.remove(MDC_RUN_ID);
            MDC.remove(MDC_EVENT_ID);
        }
    }

    private static String header(ConsumerRecord<?, ?> record, String name, String otherwise) {
        Header h = record.headers().lastHeader(name);
        return h == null || h.value() == null ? otherwise : new String(h.value(), StandardCharsets.UTF_8);
    }
}
