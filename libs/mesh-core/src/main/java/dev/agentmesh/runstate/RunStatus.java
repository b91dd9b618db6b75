package dev.agentmesh.runstate;

public enum RunStatus {
    /** Stage events seen, but not yet the trigger. */
    PENDING,
    TRIGGERED,
    RUNNING,
    COMPLETED,
    FAILED;

    public boolean terminal() {
        return this == COMPLETED || this == FAILED;
    }
}
