package dev.agentmesh.runstate;

public enum RunStatus {
    /** Stage events seen, but not yet the trigger. */
    PENDING,
    TRIGGERED,
    RUNNING,
    COMPLETED,
    FAILED,
    /** Stopped because the authority it acted under was revoked. */
    REVOKED,
    /** The gate returned the run to the principal: waiting for an approve or reject. */
    AWAITING_PRINCIPAL,
    /** The principal rejected the returned run. */
    REJECTED,
    /** No progress within the deadline: flagged for a person; any later event of the run clears it. */
    STALLED;

    public boolean terminal() {
        return this == COMPLETED || this == FAILED || this == REVOKED || this == REJECTED;
    }
}
