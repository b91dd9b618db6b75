package dev.agentmesh.grants;

/** The actions a grant can authorise. */
public final class Actions {

    private Actions() {
    }

    public static final String SCHEDULE_RUNS = "schedule-runs";
    public static final String SPEND_COMPUTE = "spend-compute";
    public static final String WRITE_CHECKPOINTS = "write-checkpoints";
    public static final String DEPLOY = "deploy";
    public static final String DECIDE = "decide";
    /** Act on review items: re-drive, discard, escalate. */
    public static final String REVIEW = "review";
    /** Read what the mesh knows of runs: state, costs, failures and their dead letters (an assistant's MCP session). */
    public static final String READ = "read";
}
