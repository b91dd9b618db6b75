package dev.agentmesh.service;

import dev.agentmesh.kafka.DeadLetter;
import dev.agentmesh.kafka.DeadLetters;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaConnectorIncomingConfiguration;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.fault.KafkaFailureHandler;
import io.vertx.mutiny.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * The failure strategy of every channel ({@code failure-strategy=mesh-dead-letter}): a nacked record goes to the
 * dead-letter topic through {@link DeadLetter} (a copy, or a reference when the record is too large to copy), naming
 * this service, and then it is acknowledged (its offset committed, or passed to a stage's transactions). Unlike SmallRye's own dead-letter queue, a record too large to copy
 * cannot fail the channel.
 */
@ApplicationScoped
@Identifier(MeshDeadLetterStrategy.NAME)
public class MeshDeadLetterStrategy implements KafkaFailureHandler.Factory {

    public static final String NAME = "mesh-dead-letter";
    private static final Logger LOG = Logger.getLogger(MeshDeadLetterStrategy.class);

    private final String service;
    private final String bootstrapServers;
    private final Event<DeadLettered> deadLettered;
    private volatile DeadLetters deadLetters;

    /** A record a channel received was dead-lettered (and acknowledged) after {@code generation} delivered it. */
    public record DeadLettered(String topic, int partition, long offset, int generation) {
    }

    public MeshDeadLetterStrategy(@ConfigProperty(name = "quarkus.application.name") String service,
                                  @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                                  Event<DeadLettered> deadLettered) {
        this.service = service;
        this.bootstrapServers = bootstrapServers;
        this.deadLettered = deadLettered;
    }

    @Override
    public KafkaFailureHandler create(KafkaConnectorIncomingConfiguration config, Vertx vertx,
                                      KafkaConsumer<?, ?> consumer, BiConsumer<Throwable, Boolean> reportFailure) {
        String channel = config.getChannel();
        return new KafkaFailureHandler() {
            @Override
            public <K, V> Uni<Void> handle(IncomingKafkaRecord<K, V> record, Throwable reason, Metadata metadata) {
                DeadLetter letter = DeadLetter.of(record.getTopic(), record.getPartition(), record.getOffset(),
                        bytes(record.getKey()), bytes(record.getPayload()), record.getHeaders(),
                        DeadLetter.reasonOf(reason), service).withCause(reason.getClass().getName());
                LOG.warnf("channel %s: %s-%d@%d dead-lettered: %s", channel, record.getTopic(), record.getPartition(),
                        record.getOffset(), letter.reason());
                int generation = record.getMetadata(IncomingKafkaRecordMetadata.class)
                        .map(IncomingKafkaRecordMetadata::getConsumerGroupGenerationId).orElse(-1);
                return Uni.createFrom().completionStage(() -> deadLetters().send(letter))
                        .onFailure().invoke(e -> reportFailure.accept(e, true))
                        .chain(() -> Uni.createFrom().completionStage(record.ack()))
                        .invoke(() -> deadLettered.fire(new DeadLettered(record.getTopic(), record.getPartition(),
                                record.getOffset(), generation)));
            }
        };
    }

    private DeadLetters deadLetters() {
        DeadLetters writer = deadLetters;
        if (writer == null) {
            synchronized (this) {
                if (deadLetters == null) {
                    deadLetters = DeadLetters.connect(bootstrapServers);
                }
                writer = deadLetters;
            }
        }
        return writer;
    }

    private static byte[] bytes(Object value) {
        if (value == null || value instanceof byte[]) {
            return (byte[]) value;
        }
        return value.toString().getBytes(StandardCharsets.UTF_8);
    }

    @PreDestroy
    void close() {
        if (deadLetters != null) {
            deadLetters.close();
        }
    }
}
