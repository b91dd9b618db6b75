package dev.agentmesh.diagnosis;

import java.time.Duration;

/**
 * How far a triage may go: how long each delegated investigation may take before its investigator is reported
 * missing, and how many investigations one triage may delegate (its step limit).
 */
public record TriagePolicy(Duration timeout, int maxSteps) {

    public TriagePolicy {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("a triage timeout must be positive, not " + timeout);
        }
        if (maxSteps < 1) {
            throw new IllegalArgumentException("a triage needs at least one step, not " + maxSteps);
        }
    }
}
