package dev.agentmesh.training;

/** Training stopped before it finished: cancelled by the orchestrator, or past the cell's timeout. */
public class CellInterrupted extends RuntimeException {

    private final boolean timedOut;

    public CellInterrupted(String reason, boolean timedOut) {
        super(reason);
        this.timedOut = timedOut;
    }

    public boolean timedOut() {
        return timedOut;
    }
}
