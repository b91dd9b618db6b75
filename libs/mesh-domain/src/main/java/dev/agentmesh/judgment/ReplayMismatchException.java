package dev.agentmesh.judgment;

/** A replayed agent rendered a prompt the log has no recorded answer for: the replay is not of the same agent. */
public class ReplayMismatchException extends RuntimeException {
    public ReplayMismatchException(String message) {
        super(message);
    }
}
