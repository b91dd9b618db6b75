package dev.agentmesh.grants;

/** The ledger's answer to an action or a grant event: allowed, or refused, with what kind of refusal and why. */
public record Decision(boolean allowed, Refusal refusal, String reason) {

    /** What kind of refusal a decision is, so callers branch on a type, not on the words of the reason. */
    public enum Refusal {
        NONE, UNKNOWN_GRANT, REVOKED, EXPIRED, OUT_OF_SCOPE, OVER_DEPTH, BUDGET_EXHAUSTED, NOT_SIGNED, WIDENS_PARENT,
        INVALID
    }

    public static final Decision ALLOWED = new Decision(true, Refusal.NONE, "allowed");

    /** A refusal of no particular kind (a misconfiguration, a malformed request). */
    public static Decision refused(String reason) {
        return new Decision(false, Refusal.INVALID, reason);
    }

    public static Decision refused(Refusal kind, String reason) {
        return new Decision(false, kind, reason);
    }

    public boolean refusedAs(Refusal kind) {
        return !allowed && refusal == kind;
    }
}
