package dev.agentmesh.core;

import java.util.List;

/** Stage names, as they appear in run state. */
public final class Stages {

    private Stages() {
    }

    public static final String ROW_VALIDATION = "row-validation";

    /** What a nightly run must complete today; grows as stages land. */
    public static final List<String> NIGHTLY = List.of(ROW_VALIDATION);
}
