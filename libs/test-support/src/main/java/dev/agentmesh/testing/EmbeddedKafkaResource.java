package dev.agentmesh.testing;

import dev.agentmesh.embedded.EmbeddedKafka;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/** Starts a real embedded KRaft broker for a {@code @QuarkusTest} and points the service at it. */
public class EmbeddedKafkaResource implements QuarkusTestResourceLifecycleManager {

    private static EmbeddedKafka kafka;

    @Override
    public Map<String, String> start() {
        kafka = EmbeddedKafka.start();
        String stateDir = Path.of(System.getProperty("mesh.test.state.dir", "target/kstreams-state"),
                UUID.randomUUID().toString()).toString();
        return Map.of(
                "kafka.bootstrap.servers", kafka.bootstrapServers(),
                "quarkus.kafka.devservices.enabled", "false",
                "quarkus.kafka-streams.bootstrap-servers", kafka.bootstrapServers(),
                "kafka-streams.state.dir", stateDir);
    }

    public static String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public void stop() {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }
}
