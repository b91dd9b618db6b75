package dev.agentmesh.service;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import dev.agentmesh.grant.GrantEvent;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.runstate.RunState;
import java.util.SortedMap;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.grants.GrantLedger;
import dev.agentmesh.topics.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every service's check of an action against its grant. The ledger is folded from the grants topic, which this
 * gate reads up to its current end before each decision, so an action is judged against every grant event
 * written before it was checked, revocations included.
 */
@ApplicationScoped
public class GrantGate {

    private static final Logger LOG = Logger.getLogger(GrantGate.class);
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(10);

    private final MeshCodecs codecs;
    private final MeterRegistry metrics;
    private final String bootstrapServers;
    private final GrantLedger ledger;
    private final String misconfiguration;
    private final TopicPartition partition = new TopicPartition(Topics.GRANTS.name(), 0);
    private KafkaConsumer<String, byte[]> consumer;

    public GrantGate(MeshCodecs codecs, MeterRegistry metrics,
                     @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                     @ConfigProperty(name = "mesh.grants.principal-public-key") Optional<String> principalKey) {
        this.codecs = codecs;
        this.metrics = metrics;
        this.bootstrapServers = bootstrapServers;
        GrantLedger built = null;
        String problem = null;
        if (principalKey.isEmpty() || principalKey.get().isBlank()) {
            problem = "no principal key configured (mesh.grants.principal-public-key): every action is refused";
        } else {
            try {
                built = new GrantLedger(GrantKeys.publicKey(principalKey.get()));
            } catch (IllegalArgumentException e) {
                problem = "mesh.grants.principal-public-key is invalid: " + e.getMessage();
            }
        }
        this.ledger = built;
        this.misconfiguration = problem;
        if (problem != null) {
            LOG.error(problem);
        }
    }

    public synchronized Decision authorize(ActionRequest request) {
        Decision decision;
        if (ledger == null) {
            decision = Decision.refused(misconfiguration);
        } else {
            catchUp();
            decision = ledger.authorize(request);
        }
        metrics.counter("mesh.grants.decisions", "action", request.action(),
                "outcome", decision.allowed() ? "allowed" : "refused").increment();
        return decision;
    }

    /** The grant as the ledger accepted it, read up to the current end of the grants topic. */
    public synchronized Optional<GrantLedger.Entry> entry(String grantId) {
        if (ledger == null || grantId == null) {
            return Optional.empty();
        }
        catchUp();
        return ledger.entry(grantId);
    }

    /** The ledger's view of a grant for an actor about to act under it: its entry, the decision, and its budget. */
    public record Assessment(Optional<GrantLedger.Entry> entry, Decision decision, Optional<Long> budget) {
    }

    /**
     * One catch-up, three answers: the grant's entry, whether {@code request} is allowed (at the grant's own
     * delegation depth when {@code request} names none), and the tightest budget on its chain.
     */
    public synchronized Assessment assess(ActionRequest request) {
        if (ledger == null) {
            return new Assessment(Optional.empty(), authorize(request), Optional.empty());
        }
        catchUp();
        Optional<GrantLedger.Entry> entry = request.grantId() == null ? Optional.empty() : ledger.entry(request.grantId());
        Decision decision = ledger.authorize(request);
        metrics.counter("mesh.grants.decisions", "action", request.action(),
                "outcome", decision.allowed() ? "allowed" : "refused").increment();
        return new Assessment(entry, decision, request.grantId() == null ? Optional.empty() : ledger.budget(request.grantId()));
    }

    /** A run's direct cost per grant, rolled up the delegation tree as the ledger knows it now. */
    public synchronized SortedMap<String, CostRollup.Node> rollup(Map<String, RunState.GrantCost> direct) {
        if (ledger != null) {
            catchUp();
        }
        return CostRollup.rollup(direct, id -> ledger == null ? null : ledger.entry(id)
                .map(e -> new CostRollup.Link(e.grant().getParentGrantId(), e.grant().getGrantee(), e.depth(),
                        e.grant().getScope().getBudgetComputeMs())).orElse(null));
    }

    /** The tightest compute budget on the grant's chain. */
    public synchronized Optional<Long> budget(String grantId) {
        if (ledger == null || grantId == null) {
            return Optional.empty();
        }
        catchUp();
        return ledger.budget(grantId);
    }

    public synchronized void recordSpend(String grantId, long computeMs) {
        if (ledger != null) {
            ledger.recordSpend(grantId, computeMs);
        }
    }

    private void catchUp() {
        if (consumer == null) {
            consumer = new KafkaConsumer<>(KafkaClientSettings.with(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class)));
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
        }
        long end = consumer.endOffsets(List.of(partition), CATCH_UP_TIMEOUT).get(partition);
        long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
        while (consumer.position(partition, CATCH_UP_TIMEOUT) < end) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + Topics.GRANTS.name() + " up to offset " + end);
            }
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                try {
                    GrantEvent event = codecs.grants().decode(record.value());
                    Decision applied = ledger.apply(event, event.getEnvelope().getOccurredAt());
                    if (!applied.allowed()) {
                        LOG.warnf("grant event at offset %d refused: %s", record.offset(), applied.reason());
                    }
                } catch (RuntimeException e) {
                    LOG.errorf("unreadable grant event at offset %d ignored: %s", record.offset(), e.getMessage());
                }
            }
        }
    }

    @PreDestroy
    synchronized void close() {
        if (consumer != null) {
            consumer.close();
        }
    }
}
