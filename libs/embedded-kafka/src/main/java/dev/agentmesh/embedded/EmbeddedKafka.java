package dev.agentmesh.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
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

    private static final int START_ATTEMPTS = 3;

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
        for (int attempt = 1; ; attempt++) {
            EmbeddedKafkaBroker broker = configure(saslUsers);
            try {
                broker.start();
            } catch (RuntimeException e) {
                try {
                    broker.close();
                } catch (RuntimeException closing) {
                    e.addSuppressed(closing);
                }
                // Another process may take a free port between its choice and the broker's bind.
                if (attempt < START_ATTEMPTS && causedByBind(e)) {
                    continue;
                }
                throw e;
            }
            EmbeddedKafka kafka = new EmbeddedKafka(broker);
            TopicAdmin.ensureAll(kafka.bootstrapServers());
            return kafka;
        }
    }

    private static EmbeddedKafkaBroker configure(Map<String, String> saslUsers) {
        int[] ports = freePorts(3);
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker()
                .withDeleteLogDirsOnClose(true)
                .withKafkaPort(ports[0])
                .withControllerPort(ports[1])
                .withAdditionalProperties(p -> {
                    p.put("group.initial.rebalance.delay.ms", "0");
                    p.put("num.partitions", "3");
                    // one broker: five transaction-log partitions (as the offsets topic has here), not fifty to create,
                    // load and flush at shutdown
                    p.put("transaction.state.log.num.partitions", "5");
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
            // the broker's own (internal) listener must be the advertised plaintext one
            broker.withAdvertisedListeners(
                    EmbeddedKafkaBroker.endpoint(SecurityProtocol.PLAINTEXT, "localhost", ports[0]),
                    EmbeddedKafkaBroker.endpoint(SecurityProtocol.SASL_PLAINTEXT, "localhost", ports[2]));
        }
        return broker;
    }

    private static boolean causedByBind(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
        }
        return false;
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

    /**
     * {@code count} distinct free loopback ports (also for the nodes of a {@link KafkaCluster}). All are held open
     * together while chosen, so no two are the same.
     */
    static int[] freePorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0));
            }
            return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // the port is released either way
                }
            }
        }
    }

    @Override
    public void close() {
        // the schema stores kept for each listener, or their tails retry the stopped broker for as long as the JVM runs
        for (String listener : broker.getAdvertisedListeners().split(",")) {
            KafkaTopicSchemaStore.closeFor(listener.substring(listener.indexOf("://") + 3));
        }
        broker.close();
    }
}
