package dev.agentmesh.service;

import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.util.stream.StreamSupport;
import org.eclipse.microprofile.config.Config;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Readiness that means "this instance is doing its share": DOWN until the service's consumer has partitions
 * assigned, and again after they are all revoked or lost. Channels opt in with
 * {@code mp.messaging.incoming.<channel>.consumer-rebalance-listener.name=mesh-assignment}. An instance beyond the
 * topic's partition count stays not ready, which is the truth: it would do nothing.
 *
 * <p>It also knows which group member owns each partition now, and as of which generation
 * ({@link #owner(TopicPartition)}): a stage's transaction proves with it that the record it handled is still its own.
 */
@ApplicationScoped
@Identifier(AssignmentReadiness.NAME)
@Readiness
public class AssignmentReadiness implements KafkaConsumerRebalanceListener, HealthCheck {

    public static final String NAME = "mesh-assignment";

    private final Map<TopicPartition, ConsumerGroupMetadata> owners = new ConcurrentHashMap<>();
    private final boolean inUse;

    /** Told of every assignment, off the consumer's thread, so a service can prepare for its partitions. */
    @Inject
    Event<PartitionsAssigned> assignments;

    /** Partitions a channel's consumer was just given, in {@code generation} of its group. */
    public record PartitionsAssigned(Set<TopicPartition> partitions, int generation) {
    }

    @Inject
    public AssignmentReadiness(Config config) {
        this(StreamSupport.stream(config.getPropertyNames().spliterator(), false)
                .anyMatch(k -> k.startsWith("mp.messaging.incoming.") && k.endsWith(".consumer-rebalance-listener.name")
                        && NAME.equals(config.getOptionalValue(k, String.class).orElse(null))));
    }

    /** {@code inUse}: some channel reports its assignment here; otherwise there is nothing to wait for. */
    public AssignmentReadiness(boolean inUse) {
        this.inUse = inUse;
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        // every partition the member holds now: under cooperative rebalancing, kept ones are not named again
        Set<TopicPartition> held = new HashSet<>(partitions);
        held.addAll(consumer.assignment());
        assigned(consumer.groupMetadata(), held);
        if (assignments != null && !partitions.isEmpty()) {
            assignments.fireAsync(new PartitionsAssigned(Set.copyOf(partitions),
                    consumer.groupMetadata().generationId()));
        }
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        released(consumer.groupMetadata().memberId(), partitions);
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        released(consumer.groupMetadata().memberId(), partitions);
    }

    /** {@code member}, as of its current generation, holds {@code partitions}. */
    void assigned(ConsumerGroupMetadata member, Collection<TopicPartition> partitions) {
        partitions.forEach(p -> owners.put(p, member));
    }

    /** {@code memberId} no longer holds {@code partitions}; another consumer of this process may already have them. */
    void released(String memberId, Collection<TopicPartition> partitions) {
        partitions.forEach(p -> owners.computeIfPresent(p, (k, owner) -> owner.memberId().equals(memberId) ? null : owner));
    }

    /** The member of the group that owns {@code partition} in this process now, as of its latest generation. */
    public Optional<ConsumerGroupMetadata> owner(TopicPartition partition) {
        return Optional.ofNullable(owners.get(partition));
    }

    @Override
    public HealthCheckResponse call() {
        if (!inUse) {
            return HealthCheckResponse.named("kafka-consumer-assignment").up().withData("partitions", "no channel in a group").build();
        }
        Set<String> names = new TreeSet<>();
        owners.keySet().forEach(tp -> names.add(tp.toString()));
        return HealthCheckResponse.named("kafka-consumer-assignment")
                .status(!owners.isEmpty())
                .withData("partitions", names.isEmpty() ? "none assigned" : String.join(",", names))
                .build();
    }
}
