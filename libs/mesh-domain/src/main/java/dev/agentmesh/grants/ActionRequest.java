package dev.agentmesh.grants;

import java.time.Instant;

/**
 * An action to be checked: taken under {@code grantId}, at {@code delegationDepth}, costing
 * {@code computeMs} of the grant chain's budgets, at time {@code at}. A live service judges every action at its own
 * clock ({@link #judgedAt}), never at a time the sender claims; a replay judges at the recorded event's time.
 */
public record ActionRequest(String grantId, String action, String resource, int delegationDepth, long computeMs, Instant at) {

    /** The same action, judged at {@code now}. */
    public ActionRequest judgedAt(Instant now) {
        return new ActionRequest(grantId, action, resource, delegationDepth, computeMs, now);
    }
}
