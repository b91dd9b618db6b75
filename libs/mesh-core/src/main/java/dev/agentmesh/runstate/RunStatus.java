package dev.agentmesh.runstate;

public enum RunStatus {
    /** Stage events seen, but not yet the trigger. */
    PENDING,
    TRIGGERED,
    RUNNING,
    COMPLETED,
    FAILED,
    /** Stopped because the authority it acted under was revoked. */
    REVOKED;

    public boolean terminal() {
        return this == COMPLETED || this == FAILED || this == REVOKED;
    }
}
