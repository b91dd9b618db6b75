package dev.agentmesh.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.util.Set;
import java.util.TreeSet;

/**
 * Ready only while the service's Streams app (run-state, the process managers) is RUNNING: not while it is created,
 * rebalancing or restoring its stores.
 */
@Readiness
@ApplicationScoped
public class StreamsReadiness implements HealthCheck {

    public static final String NAME = "kafka-streams-running";

    private final Instance<KafkaStreams> streams;

    public StreamsReadiness(Instance<KafkaStreams> streams) {
        this.streams = streams;
    }

    static boolean ready(KafkaStreams.State state) {
        return state == KafkaStreams.State.RUNNING;
    }

    @Override
    public HealthCheckResponse call() {
        if (!streams.isResolvable()) {
            return HealthCheckResponse.named(NAME).up().withData("state", "no Kafka Streams app in this service").build();
        }
        KafkaStreams app = streams.get();
        KafkaStreams.State state = app.state();
        Set<String> partitions = new TreeSet<>();
        if (state == KafkaStreams.State.RUNNING) {
            app.metadataForLocalThreads().forEach(thread -> thread.activeTasks()
                    .forEach(task -> task.topicPartitions().forEach(tp -> partitions.add(tp.toString()))));
        }
        return HealthCheckResponse.named(NAME).status(state != null && ready(state))
                .withData("state", String.valueOf(state))
                .withData("partitions", partitions.isEmpty() ? "none assigned" : String.join(",", partitions)).build();
    }
}
