package dev.agentmesh.embedded;

import dev.agentmesh.core.TopicAdmin;
import dev.agentmesh.serde.KafkaTopicSchemaStore;
import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;

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
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker()
                .withDeleteLogDirsOnClose(true)
                .withAdditionalProperties(p -> {
                    p.put("group.initial.rebalance.delay.ms", "0");
                    p.put("num.partitions", "3");
                    p.put("auto.create.topics.enable", "false");
                    p.put("log.cleaner.backoff.ms", "1000");
                })
                .start();
        EmbeddedKafka kafka = new EmbeddedKafka(broker);
        TopicAdmin.ensureAll(kafka.bootstrapServers());
        return kafka;
    }

    public String bootstrapServers() {
        return broker.getAdvertisedListeners().replaceFirst("^[A-Z_]+://", "");
    }

    @Override
    public void close() {
        KafkaTopicSchemaStore.closeFor(bootstrapServers());
        broker.close();
    }
}
