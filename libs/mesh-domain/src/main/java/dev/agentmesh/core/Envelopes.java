package dev.agentmesh.core;

import java.nio.charset.StandardCharsets;
import dev.agentmesh.common.Cost;
import dev.agentmesh.common.Envelope;

import java.time.Clock;
import java.util.UUID;

/** Builds envelopes for one agent instance. */
public final class Envelopes {

    private final String agentRole;
    private final String agentInstance;
    private final Clock clock;

    public Envelopes(String agentRole, String agentInstance, Clock clock) {
        this.agentRole = agentRole;
        this.agentInstance = agentInstance;
        this.clock = clock;
    }

    public Envelopes(String agentRole, String agentInstance) {
        this(agentRole, agentInstance, Clock.systemUTC());
    }

    /**
     * A new event of this agent's, caused by {@code cause} and acting under the same grant. Its id is derived
     * from the cause, this role and {@code discriminator}, so handling the same cause again (a redelivery,
     * a re-drive, a replay) produces the same event ids and downstream idempotency absorbs the repeat.
     */
    public Envelope causedBy(Envelope cause, String discriminator, long computeMs) {
        return envelope(derivedId(cause.getEventId(), discriminator), cause.getRunId(), cause.getEventId(),
                cause.getGrantId(), cause.getDelegationDepth(), cause.getAttempt(), computeMs, null);
    }

    /**
     * An envelope for one of the many items (rows) a single action produces: its id is the cause's id and
     * {@code discriminator} (deterministic, and no hashing per row), and it shares the cause's trace context, since
     * the items belong to the stage's span rather than being spans of their own.
     */
    public Envelope item(Envelope cause, String discriminator) {
        return envelope(cause.getEventId() + "/" + discriminator, cause.getRunId(), cause.getEventId(), cause.getGrantId(),
                cause.getDelegationDepth(), cause.getAttempt(), 0, cause.getTraceParent());
    }

    /** An envelope of this agent's, stamped now, with every other field given; a null trace parent is the run's. */
    public Envelope envelope(String eventId, String runId, String causationId, String grantId, int delegationDepth,
                             int attempt, long computeMs, String traceParent) {
        return Envelope.newBuilder()
                .setEventId(eventId)
                .setRunId(runId)
                .setCausationId(causationId)
                .setAgentRole(agentRole)
                .setAgentInstance(agentInstance)
                .setGrantId(grantId)
                .setDelegationDepth(delegationDepth)
                .setAttempt(attempt)
                .setCost(new Cost(computeMs, 0L, 0L))
                .setOccurredAt(clock.instant())
                .setTraceParent(traceParent != null ? traceParent : Traces.traceParent(runId, eventId))
                .build();
    }

    public String role() {
        return agentRole;
    }

    public String derivedId(String causeEventId, String discriminator) {
        return UUID.nameUUIDFromBytes((causeEventId + "|" + agentRole + "|" + discriminator)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** The first event of a run. */
    public Envelope origin(String runId, String grantIdOrNull) {
        return envelope(UUID.randomUUID().toString(), runId, null, grantIdOrNull, 0, 1, 0, null);
    }
}
