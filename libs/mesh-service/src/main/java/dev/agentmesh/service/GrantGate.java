package dev.agentmesh.service;

import dev.agentmesh.grant.GrantEvent;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grant.GrantScope;
import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.runstate.RunState;
import java.util.SortedMap;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.judgment.SpendLimit;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.grants.GrantLedger;
import dev.agentmesh.grants.GrantTree;
import dev.agentmesh.kafka.client.TopicTail;
import dev.agentmesh.topics.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every service's check of an action against its grant. The ledger is folded from the grants topic by a
 * {@link TopicTail}, and each decision waits until the tail has read up to the topic's end as of the decision, so an
 * action is judged against every grant event written before it was checked, revocations included, and at this
 * service's clock: a sender cannot back-date an event into its grant's lifetime.
 */
@ApplicationScoped
public class GrantGate {

    private static final Logger LOG = Logger.getLogger(GrantGate.class);
    private static final Duration UNKNOWN_GRANT_GRACE = Duration.ofSeconds(1);

    private final MeshCodecs codecs;
    private final MeterRegistry metrics;
    private final String bootstrapServers;
    private final GrantLedger ledger;
    private final String misconfiguration;
    private final TopicTail tail;
    private final Map<String, String> refusals = new ConcurrentHashMap<>();
    /** Inside {@link #batch(Runnable)} on this thread: the batch's barrier, passed or not yet; else null. */
    private final ThreadLocal<Barrier> batch = new ThreadLocal<>();

    private static final class Barrier {
        boolean passed;
    }

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
        if (ledger != null) {
            codecs.settings(); // the codecs hand the process its Kafka security settings: before the tail connects
        }
        this.tail = ledger == null ? null
                : TopicTail.start("grants", bootstrapServers, List.of(Topics.GRANTS.name()), this::fold);
    }

    private void fold(ConsumerRecord<byte[], byte[]> record) {
        GrantEvent event = codecs.grants().decode(record.value());
        Decision applied;
        synchronized (ledger) {
            applied = ledger.apply(event, event.getEnvelope().getOccurredAt());
        }
        if (!applied.allowed()) {
            refusals.put(record.partition() + "@" + record.offset(), applied.reason());
            LOG.warnf("grant event %d@%d refused: %s", record.partition(), record.offset(), applied.reason());
        }
    }

    /**
     * Runs many decisions against one barrier (a process manager's tick over all its runs): the ledger is caught up
     * once, before the first of them that consults it, instead of once per decision, and not at all when none does
     * (an idle tick). A grant event written while they run is seen by the next batch.
     */
    public void batch(Runnable decisions) {
        if (batch.get() != null) {
            decisions.run(); // within an outer batch, which has its barrier
            return;
        }
        batch.set(new Barrier());
        try {
            decisions.run();
        } finally {
            batch.remove();
        }
    }

    /** Whether {@code request} is allowed now: expiry is judged at this service's clock, not the event's claimed time. */
    public Decision authorize(ActionRequest claimed) {
        ActionRequest request = claimed.judgedAt(Instant.now());
        Decision decision;
        if (ledger == null) {
            decision = Decision.refused(misconfiguration);
        } else {
            catchUp(request.grantId());
            synchronized (ledger) {
                decision = ledger.authorize(request);
            }
        }
        metrics.counter("mesh.grants.decisions", "action", request.action(),
                "outcome", decision.allowed() ? "allowed" : "refused").increment();
        return decision;
    }

    /**
     * Whether {@code claimed} was allowed at {@code recordedAt}, a time the mesh recorded (a broker's append time),
     * never later than now: the same answer on every later re-reading of the action (see {@link GrantLedger#authorizeAsOf}).
     */
    public Decision authorizeAsOf(ActionRequest claimed, Instant recordedAt) {
        Instant now = Instant.now();
        ActionRequest request = claimed.judgedAt(recordedAt.isAfter(now) ? now : recordedAt);
        if (ledger == null) {
            return Decision.refused(misconfiguration);
        }
        catchUp(request.grantId());
        synchronized (ledger) {
            return ledger.authorizeAsOf(request);
        }
    }

    /** Whether {@code claimed} may stop work its grant started (see {@link GrantLedger#authorizeStop}), judged now. */
    public Decision authorizeStop(ActionRequest claimed) {
        ActionRequest request = claimed.judgedAt(Instant.now());
        if (ledger == null) {
            return Decision.refused(misconfiguration);
        }
        catchUp(request.grantId());
        synchronized (ledger) {
            return ledger.authorizeStop(request);
        }
    }

    /** Why the ledger refused the grant event at {@code partition}@{@code offset}, if it did (read up to now first). */
    public Optional<String> refusal(int partition, long offset) {
        if (ledger == null) {
            return Optional.empty();
        }
        catchUp(null);
        return Optional.ofNullable(refusals.get(partition + "@" + offset));
    }

    /** The grant as the ledger accepted it, read up to the current end of the grants topic. */
    public Optional<GrantLedger.Entry> entry(String grantId) {
        if (ledger == null || grantId == null) {
            return Optional.empty();
        }
        catchUp(grantId);
        synchronized (ledger) {
            return ledger.entry(grantId);
        }
    }

    /** The ledger's view of a grant for an actor about to act under it: its entry, the decision, and its budget. */
    public record Assessment(Optional<GrantLedger.Entry> entry, Decision decision, Optional<Long> budget) {
    }

    /**
     * One catch-up, three answers: the grant's entry, whether {@code request} is allowed (at the grant's own
     * delegation depth when {@code request} names none), and the tightest budget on its chain.
     */
    public Assessment assess(ActionRequest claimed) {
        ActionRequest request = claimed.judgedAt(Instant.now());
        if (ledger == null) {
            return new Assessment(Optional.empty(), authorize(request), Optional.empty());
        }
        catchUp(request.grantId());
        Assessment assessment;
        synchronized (ledger) {
            Optional<GrantLedger.Entry> entry = request.grantId() == null ? Optional.empty() : ledger.entry(request.grantId());
            assessment = new Assessment(entry, ledger.authorize(request),
                    request.grantId() == null ? Optional.empty() : ledger.budget(request.grantId()));
        }
        metrics.counter("mesh.grants.decisions", "action", request.action(),
                "outcome", assessment.decision().allowed() ? "allowed" : "refused").increment();
        return assessment;
    }

    /** A run's direct cost per grant, rolled up the delegation tree as the ledger knows it now. */
    public SortedMap<String, CostRollup.Node> rollup(Map<String, RunState.GrantCost> direct) {
        if (ledger == null) {
            return CostRollup.rollup(direct, id -> null);
        }
        catchUp(null);
        synchronized (ledger) {
            return CostRollup.rollup(direct, id -> ledger.entry(id)
                    .map(e -> new CostRollup.Link(e.grant().getParentGrantId(), e.grant().getGrantee(), e.depth(),
                            budget(e.grant().getScope()))).orElse(null));
        }
    }

    /** Every grant as a tree with its status, budgets and what was spent under it ({@code spent}: per grant, all runs). */
    public List<GrantTree.Line> tree(Map<String, RunState.GrantCost> spent, Instant now) {
        if (ledger == null) {
            return List.of();
        }
        catchUp(null);
        synchronized (ledger) {
            return GrantTree.of(ledger, spent, now);
        }
    }

    private static CostRollup.Budget budget(GrantScope scope) {
        return new CostRollup.Budget(scope.getBudgetComputeMs(), scope.getBudgetTokens(), scope.getBudgetMoneyMicros());
    }

    /** The tightest compute budget on the grant's chain. */
    public Optional<Long> budget(String grantId) {
        if (ledger == null || grantId == null) {
            return Optional.empty();
        }
        catchUp(grantId);
        synchronized (ledger) {
            return ledger.budget(grantId);
        }
    }

    public void recordSpend(String grantId, long computeMs) {
        if (ledger != null) {
            synchronized (ledger) {
                ledger.recordSpend(grantId, computeMs);
            }
        }
    }

    /** What model calls under the grant may still spend, as far as this process has charged its chain. */
    public SpendLimit modelAllowance(String grantId) {
        if (ledger == null || grantId == null) {
            return SpendLimit.NONE;
        }
        catchUp(grantId);
        synchronized (ledger) {
            return ledger.modelAllowance(grantId);
        }
    }

    public void recordModelSpend(String grantId, long tokens, long moneyMicros) {
        if (ledger != null && grantId != null && (tokens > 0 || moneyMicros > 0)) {
            synchronized (ledger) {
                ledger.recordModelSpend(grantId, tokens, moneyMicros);
            }
        }
    }

    /** Whether the ledger has read the grants that existed when the service started. */
    public boolean caughtUp() {
        return tail == null || tail.caughtUp();
    }

    /**
     * Every grant event committed before the decision is in the ledger before it is made. A grant committed in the
     * same transaction as the work that names it (the orchestrator's delegation to the trainer pool) becomes
     * readable moments after that work does, so a grant the ledger does not know yet gets a short grace.
     */
    private void catchUp(String grantId) {
        Barrier inBatch = batch.get();
        if (inBatch != null && !inBatch.passed) {
            tail.awaitCaughtUp();
            inBatch.passed = true;
        }
        if (inBatch != null && (grantId == null || known(grantId))) {
            return;
        }
        tail.awaitCaughtUp();
        long until = System.nanoTime() + UNKNOWN_GRANT_GRACE.toNanos();
        while (grantId != null && !known(grantId) && System.nanoTime() < until) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            tail.awaitCaughtUp();
        }
    }

    private boolean known(String grantId) {
        synchronized (ledger) {
            return ledger.entry(grantId).isPresent();
        }
    }

    @PreDestroy
    void close() {
        if (tail != null) {
            tail.close();
        }
    }
}
