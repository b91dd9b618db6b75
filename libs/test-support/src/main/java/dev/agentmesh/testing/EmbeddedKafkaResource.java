package dev.agentmesh.testing;

import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.util.Base64;
import dev.agentmesh.embedded.EmbeddedKafka;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Map;
import java.util.UUID;

/** Starts a real embedded KRaft broker for a {@code @QuarkusTest} and points the service at it. */
public class EmbeddedKafkaResource implements QuarkusTestResourceLifecycleManager {

    private static EmbeddedKafka kafka;
    // Plain JDK types only: this class is loaded outside Quarkus's class loader, the tests inside it.
    private static final KeyPair PRINCIPAL = newEd25519();

    @Override
    public Map<String, String> start() {
        kafka = EmbeddedKafka.start();
        String stateDir = Path.of(System.getProperty("mesh.test.state.dir", "target/kstreams-state"),
                UUID.randomUUID().toString()).toString();
        return Map.of(
                "mesh.grants.principal-public-key", Base64.getEncoder().encodeToString(PRINCIPAL.getPublic().getEncoded()),
                "kafka.bootstrap.servers", kafka.bootstrapServers(),
                "quarkus.kafka.devservices.enabled", "false",
                "quarkus.kafka-streams.bootstrap-servers", kafka.bootstrapServers(),
                "kafka-streams.state.dir", stateDir);
    }

    /** The principal whose public key the service under test trusts. */
    public static KeyPair principal() {
        return PRINCIPAL;
    }

    public static String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    private static KeyPair newEd25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }
}
