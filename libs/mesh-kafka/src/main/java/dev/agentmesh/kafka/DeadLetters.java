package dev.agentmesh.kafka;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A process's writer to the dead-letter topic: idempotent, {@code acks=all}. A copy the broker refuses as too large
 * is sent again by reference, so a dead letter is never lost to its own size.
 */
public final class DeadLetters implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;

    private DeadLetters(KafkaProducer<byte[], byte[]> producer) {
        this.producer = producer;
    }

    public static DeadLetters connect(String bootstrapServers) {
        return new DeadLetters(new KafkaProducer<>(KafkaClientSettings.with(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))));
    }

    /** Completes when the broker has the dead letter (a copy, or the reference if the copy was refused). */
    public CompletableFuture<Void> send(DeadLetter letter) {
        return write(letter).exceptionallyCompose(failure -> {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            return cause instanceof RecordTooLargeException && letter.copied()
                    ? write(letter.referenceOnly()) : CompletableFuture.failedFuture(cause);
        });
    }

    /** {@link #send} and wait for it. */
    public void sendAndWait(DeadLetter letter) {
        try {
            send(letter).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while dead-lettering", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not dead-letter: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private CompletableFuture<Void> write(DeadLetter letter) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            producer.send(letter.toProducerRecord(), (metadata, error) -> {
                if (error == null) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    @Override
    public void close() {
        producer.close();
    }
}
