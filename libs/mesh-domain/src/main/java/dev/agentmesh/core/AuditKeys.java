package dev.agentmesh.core;

/**
 * Keys of a stage's audit map that the next stage relies on: the run's context travels with each stage's
 * completion, so a stage needs nothing but the event that starts it.
 */
public final class AuditKeys {

    private AuditKeys() {
    }

    public static final String CONTRACT = "contract";
    public static final String PLAN = "plan";
    public static final String TRIGGERED_AT = "triggered-at";
    public static final String SOURCE = "source";
    public static final String FEATURE_NAMES = "feature.names";
    /** The numeric features' standardisation as JSON, carried to the publisher, which stores it with the dataset. */
    public static final String STANDARDISATION = "feature.standardisation";
    public static final String SCHEMA_CHECK = "schema.check";
    public static final String CHECKSUM = "dataset.checksum";
    public static final String LOCATION = "dataset.location";

    public static final String SWEEP_OUTCOME = "sweep.outcome";
    public static final String RANKING_RULE = "ranking.rule";
    public static final String WINNER = "winner.cell";
    public static final String WINNER_CHECKPOINT = "winner.checkpoint";
    public static final String WINNER_CHECKSUM = "winner.checksum";
    public static final String WINNER_VALIDATION_LOSS = "winner.validation-loss";

    public static final String ROWS_IN = "rows.in";
    public static final String ROWS_OUT = "rows.out";
    public static final String ROWS_REJECTED = "rows.rejected";
    /** Carried forward from row validation for the completeness check. */
    public static final String VALIDATION_ROWS_IN = "validation.rows.in";
    public static final String VALIDATION_ROWS_REJECTED = "validation.rows.rejected";
}
