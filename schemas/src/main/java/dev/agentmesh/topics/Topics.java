package dev.agentmesh.topics;

import dev.agentmesh.data.DataRow;
import dev.agentmesh.data.FeatureRow;
import dev.agentmesh.data.RawRow;
import dev.agentmesh.grant.GrantEvent;
import dev.agentmesh.review.ReviewAction;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.schedule.Schedule;
import dev.agentmesh.sweep.CellTask;
import dev.agentmesh.sweep.SweepControl;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Every topic of the mesh, named in exactly this one place. */
public final class Topics {

    private Topics() {
    }

    /** Run lifecycle: triggers and stage events, keyed by run id. */
    public static final Topic<String, RunEvent> RUN_EVENTS = new Topic<>(
            "mesh.run-events", String.class, RunEvent.class, 6, Topic.Cleanup.DELETE, null,
            "Run triggers and stage lifecycle events, keyed by run id");

    /** Grant issued/revoked; one partition so the ledger sees a total order. */
    public static final Topic<String, GrantEvent> GRANTS = new Topic<>(
            "mesh.grants", String.class, GrantEvent.class, 1, Topic.Cleanup.DELETE, null,
            "Grants of authority and their revocations, in one total order");

    /** Raw input rows anyone may produce, keyed by batch; a run with source kind TOPIC reads them (see row-validator). */
    public static final Topic<String, RawRow> ROWS_RAW = new Topic<>(
            "mesh.rows.raw", String.class, RawRow.class, 6, Topic.Cleanup.DELETE, Duration.ofDays(7),
            "Raw input rows as Avro records, keyed by batch, for runs whose source is a topic");

    /** Rows that passed the data contract, keyed by run id. */
    public static final Topic<String, DataRow> ROWS_VALIDATED = new Topic<>(
            "mesh.rows.validated", String.class, DataRow.class, 6, Topic.Cleanup.DELETE, Duration.ofDays(7),
            "Rows that passed the data contract, keyed by run id");

    /** Feature vectors of valid rows, keyed by run id. */
    public static final Topic<String, FeatureRow> FEATURES = new Topic<>(
            "mesh.features", String.class, FeatureRow.class, 6, Topic.Cleanup.DELETE, Duration.ofDays(7),
            "Feature vectors with label and split, keyed by run id");

    /**
     * Cell tasks for the trainer pool (one consumer group), keyed by cell id and attempt so a sweep spreads over
     * every partition and a retry may land on another trainer.
     */
    public static final Topic<String, CellTask> SWEEP_TASKS = new Topic<>(
            "mesh.sweep.tasks", String.class, CellTask.class, 6, Topic.Cleanup.DELETE, Duration.ofDays(7),
            "One attempt of one sweep cell each, for the trainer pool");

    /** Cancellations from the orchestrator, read by every trainer (no group): one partition, in order. */
    public static final Topic<String, SweepControl> SWEEP_CONTROL = new Topic<>(
            "mesh.sweep.control", String.class, SweepControl.class, 1, Topic.Cleanup.DELETE, Duration.ofDays(1),
            "Sweep cancellations, keyed by run id, broadcast to every trainer");

    /** Dead-lettered rows a person fixed and re-drove from review, for the row-validator to validate again. */
    public static final Topic<String, DataRow> ROWS_REDRIVEN = new Topic<>(
            "mesh.rows.redriven", String.class, DataRow.class, 6, Topic.Cleanup.DELETE, Duration.ofDays(7),
            "Re-driven rows, keyed by run id, keeping their original event id");

    /** What people did in review: re-drive, discard, escalate, approve, reject; with who and why. */
    public static final Topic<String, ReviewAction> REVIEW_ACTIONS = new Topic<>(
            "mesh.review.actions", String.class, ReviewAction.class, 1, Topic.Cleanup.DELETE, null,
            "Review decisions by item id, in one total order: the review service's state is folded from them; stamped"
                    + " by the broker, because an action's grant is judged at the time it was appended")
            .stampedByBroker();

    /** Anything that could not be handled, with the reason in headers; feeds human review. */
    public static final Topic<byte[], byte[]> DEAD_LETTER = new Topic<>(
            "mesh.dead-letter", byte[].class, byte[].class, 3, Topic.Cleanup.DELETE, null,
            "Records that failed, byte for byte as they arrived, with dead-letter-* reason headers");

    /** Schema store for the embedded default: schema id to schema text, compacted. */
    public static final Topic<String, String> SCHEMAS = new Topic<>(
            "mesh.schemas", String.class, String.class, 1, Topic.Cleanup.COMPACT, null,
            "Avro schemas by id, for processes that share a broker but no registry server");

    /** Schedules of runs by schedule id, compacted: the latest record is the schedule (see services/scheduler). */
    public static final Topic<String, Schedule> SCHEDULES = new Topic<>(
            "mesh.schedules", String.class, Schedule.class, 3, Topic.Cleanup.COMPACT, null,
            "Run schedules by id: cron, time zone, trigger options, grant, catch-up policy, and their recent fires");

    /**
     * What agents deployed in shadow mode produced, keyed by run id: observed and compared, never acted on (no
     * service reads it to act; see {@code mesh.agent.shadow}).
     */
    public static final Topic<String, RunEvent> SHADOW = new Topic<>(
            "mesh.shadow", String.class, RunEvent.class, 6, Topic.Cleanup.DELETE, Duration.ofDays(30),
            "Outputs of agents in shadow mode, for comparison with production's; nothing acts on them");

    public static final List<Topic<?, ?>> ALL = List.of(RUN_EVENTS, GRANTS, ROWS_RAW, ROWS_VALIDATED, FEATURES, SWEEP_TASKS,
            SWEEP_CONTROL, ROWS_REDRIVEN, REVIEW_ACTIONS, DEAD_LETTER, SCHEMAS, SCHEDULES, SHADOW);

    public static Optional<Topic<?, ?>> byName(String name) {
        return ALL.stream().filter(t -> t.name().equals(name)).findFirst();
    }
}
