package dev.agentmesh.judgment;

/** A call that brought no answer: it timed out, was rate-limited, or failed. */
public class ModelCallException extends RuntimeException {

    private final ModelCallOutcome outcome;
    private final long latencyMs;

    public ModelCallException(ModelCallOutcome outcome, String message, long latencyMs) {
        super(message);
        this.outcome = outcome;
        this.latencyMs = latencyMs;
    }

    public ModelCallOutcome outcome() {
        return outcome;
    }

    public long latencyMs() {
        return latencyMs;
    }
}
