package dev.agentmesh.runstate.service;

import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * {@code mesh.runs{status}}: the runs this instance owns (its active partitions), by status, counted from the store
 * when scraped, at most every {@link #FRESH_FOR}. Summed over the instances it is every run once.
 */
@ApplicationScoped
public class RunStatusGauges {

    static final Duration FRESH_FOR = Duration.ofSeconds(5);

    private final RunStateHosts hosts;
    private final MeterRegistry registry;
    private volatile Map<RunStatus, Long> counts = Map.of();
    private volatile long countedAt = Long.MIN_VALUE;

    public RunStatusGauges(RunStateHosts hosts, MeterRegistry registry) {
        this.hosts = hosts;
        this.registry = registry;
    }

    void register(@Observes StartupEvent started) {
        for (RunStatus status : RunStatus.values()) {
            Gauge.builder("mesh.runs", this, g -> g.count(status)).tag("status", status.name())
                    .description("runs whose partition this instance owns, by status").register(registry);
        }
    }

    double count(RunStatus status) {
        if (System.nanoTime() - countedAt > FRESH_FOR.toNanos()) {
            synchronized (this) {
                if (System.nanoTime() - countedAt > FRESH_FOR.toNanos()) {
                    counts = countNow();
                    countedAt = System.nanoTime();
                }
            }
        }
        return counts.getOrDefault(status, 0L);
    }

    private Map<RunStatus, Long> countNow() {
        Map<RunStatus, Long> now = new EnumMap<>(RunStatus.class);
        try (KeyValueIterator<String, RunState> all = hosts.localActive().all()) {
            while (all.hasNext()) {
                KeyValue<String, RunState> run = all.next();
                now.merge(run.value.status(), 1L, Long::sum);
            }
        } catch (RuntimeException notQueryableYet) {
            return counts; // rebalancing or not yet running: the last figures stand
        }
        return now;
    }
}
