package dev.agentmesh.runstate.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the Streams app is RUNNING: not while it is created, rebalancing or restoring its store. */
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
        KafkaStreams.State state = streams.isResolvable() ? streams.get().state() : null;
        return HealthCheckResponse.named(NAME).status(state != null && ready(state))
                .withData("state", String.valueOf(state)).build();
    }
}
