package dev.agentmesh.grants;

/** The ledger's answer to an action or a grant event: allowed, or refused with the reason. */
public record Decision(boolean allowed, String reason) {

    public static final Decision ALLOWED = new Decision(true, "allowed");

    public static Decision refused(String reason) {
        return new Decision(false, reason);
    }
}
