package dev.agentmesh.grants;

import java.time.Instant;

/**
 * An action to be checked: taken under {@code grantId}, at {@code delegationDepth}, costing
 * {@code computeMs} of the grant chain's budgets, at time {@code at} (the action event's time).
 */
public record ActionRequest(String grantId, String action, String resource, int delegationDepth, long computeMs, Instant at) {
}
