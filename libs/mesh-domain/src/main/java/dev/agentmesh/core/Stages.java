package dev.agentmesh.core;

import java.util.Optional;
import java.util.List;
import java.util.Map;

/** Stage names, as they appear in run state, and the plans that string them together. */
public final class Stages {

    private Stages() {
    }

    public static final String ROW_VALIDATION = "row-validation";
    public static final String FEATURE_EXTRACTION = "feature-extraction";
    public static final String SCHEMA_CHECK = "schema-check";
    public static final String PUBLISH = "publish";
    public static final String SWEEP = "sweep";
    public static final String GATE = "gate";

    /** Stage 1 of the nightly run: ingest and featurize. */
    public static final List<String> INGEST = List.of(ROW_VALIDATION, FEATURE_EXTRACTION, SCHEMA_CHECK, PUBLISH);

    /** Stages 1 and 2: ingest and featurize, then sweep and train. */
    public static final List<String> INGEST_AND_TRAIN = List.of(ROW_VALIDATION, FEATURE_EXTRACTION, SCHEMA_CHECK, PUBLISH, SWEEP);

    /** The whole nightly run: ingest and featurize, sweep and train, then gate and deploy. */
    public static final List<String> NIGHTLY = List.of(ROW_VALIDATION, FEATURE_EXTRACTION, SCHEMA_CHECK, PUBLISH, SWEEP, GATE);

    /** The agent role that performs each stage. */
    public static final Map<String, String> ROLES = Map.of(ROW_VALIDATION, "row-validator", FEATURE_EXTRACTION,
            "feature-extractor", SCHEMA_CHECK, "schema-checker", PUBLISH, "publisher", SWEEP, "sweep-orchestrator",
            GATE, "coordinator");

    /** The agent role that performs {@code stage}, or the stage's own name for a stage the mesh does not know. */
    public static String role(String stage) {
        return ROLES.getOrDefault(stage, stage);
    }

    /** The stage that runs after {@code stage} in {@code plan}, if any. */
    public static Optional<String> next(List<String> plan, String stage) {
        int i = plan.indexOf(stage);
        return i >= 0 && i + 1 < plan.size() ? Optional.of(plan.get(i + 1)) : Optional.empty();
    }
}
