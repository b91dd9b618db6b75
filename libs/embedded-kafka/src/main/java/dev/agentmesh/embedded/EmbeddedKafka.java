package dev.agentmesh.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.stream.Collectors;
import dev.agentmesh.kafka.TopicAdmin;
import dev.agentmesh.serde.KafkaTopicSchemaStore;
import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.util.Map;

/**
 * A real Kafka broker (KRaft, combined broker and controller) in this JVM, on free loopback ports,
 * with every mesh topic created. No Docker, no ZooKeeper.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private final EmbeddedKafkaBroker broker;

    private EmbeddedKafka(EmbeddedKafkaBroker broker) {
        this.broker = broker;
    }

    public static EmbeddedKafka start() {
        return start(Map.of());
    }

    /**
     * A broker that also has a SASL_PLAINTEXT listener (mechanism PLAIN) accepting {@code users} (name to password), at
     * {@link #saslBootstrapServers()}: a secured cluster for tests of the mesh's clients. The plaintext listener stays
     * for the broker's own use and the topics' creation.
     */
    public static EmbeddedKafka startWithSaslListener(Map<String, String> users) {
        if (users.isEmpty()) {
            throw new IllegalArgumentException("a SASL listener needs at least one user");
        }
        return start(users);
    }

    private static EmbeddedKafka start(Map<String, String> saslUsers) {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker()
                .withDeleteLogDirsOnClose(true)
                .withAdditionalProperties(p -> {
                    p.put("group.initial.rebalance.delay.ms", "0");
                    p.put("num.partitions", "3");
                    p.put("auto.create.topics.enable", "false");
                    p.put("log.cleaner.backoff.ms", "1000");
                    if (!saslUsers.isEmpty()) {
                        p.put("sasl.enabled.mechanisms", "PLAIN");
                        p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config",
                                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                                        + saslUsers.entrySet().stream().map(u -> "user_" + u.getKey() + "=\"" + u.getValue() + "\"")
                                        .collect(Collectors.joining(" ")) + ";");
                    }
                });
        if (!saslUsers.isEmpty()) {
            int plaintext = freePort(); // the broker's own (internal) listener must be the advertised plaintext one
            broker.withKafkaPort(plaintext).withAdvertisedListeners(
                    EmbeddedKafkaBroker.endpoint(SecurityProtocol.PLAINTEXT, "localhost", plaintext),
                    EmbeddedKafkaBroker.endpoint(SecurityProtocol.SASL_PLAINTEXT, "localhost", freePort()));
        }
        broker.start();
        EmbeddedKafka kafka = new EmbeddedKafka(broker);
        TopicAdmin.ensureAll(kafka.bootstrapServers());
        return kafka;
    }

    /** The plaintext listener. */
    public String bootstrapServers() {
        return listener("PLAINTEXT");
    }

    /** The SASL_PLAINTEXT listener of a broker started with {@link #startWithSaslListener}. */
    public String saslBootstrapServers() {
        return listener("SASL_PLAINTEXT");
    }

    private String listener(String name) {
        for (String listener : broker.getAdvertisedListeners().split(",")) {
            if (listener.startsWith(name + "://")) {
                return listener.substring(name.length() + 3);
            }
        }
        throw new IllegalStateException("no " + name + " listener in " + broker.getAdvertisedListeners());
    }

    /** A free loopback port (also for the nodes of a {@link KafkaCluster}). */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        KafkaTopicSchemaStore.closeFor(bootstrapServers());
        broker.close();
    }
}
