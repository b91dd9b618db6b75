package dev.agentmesh.contract;

/** Why one field of one row breaks the contract. */
public record RowViolation(String field, String reason) {

    @Override
    public String toString() {
        return field + ": " + reason;
    }
}
