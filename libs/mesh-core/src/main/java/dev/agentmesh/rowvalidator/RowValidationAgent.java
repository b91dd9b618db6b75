package dev.agentmesh.rowvalidator;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.contract.RowValidator;
import dev.agentmesh.contract.RowViolation;
import dev.agentmesh.contract.TransactionGenerator;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.run.SourceKind;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The row-validator's decision logic, free of Kafka: a trigger in, stage events, valid rows and rejections out. */
public final class RowValidationAgent {

    public static final String STAGE = Stages.ROW_VALIDATION;

    public record Rejection(DataRow row, List<RowViolation> violations) {
        public String reason() {
            return "row " + row.getRowIndex() + " violates the data contract: "
                    + violations.stream().map(RowViolation::toString).collect(Collectors.joining("; "));
        }
    }

    public record Outcome(RunEvent started, List<DataRow> valid, List<Rejection> rejected, RunEvent finished) {
    }

    private final Envelopes envelopes;

    public RowValidationAgent(Envelopes envelopes) {
        this.envelopes = envelopes;
    }

    /** Whether this agent acts on the event: a trigger whose plan includes row validation. */
    public static boolean concerns(RunEvent event) {
        return event.getPayload() instanceof RunTriggered t && t.getPlannedStages().contains(STAGE);
    }

    /** What scheduling this run needs from the trigger's grant. */
    public static ActionRequest requiredAuthority(RunEvent trigger) {
        RunTriggered request = (RunTriggered) trigger.getPayload();
        Envelope envelope = trigger.getEnvelope();
        return new ActionRequest(envelope.getGrantId(), Actions.SCHEDULE_RUNS, Resources.pipeline(request.getPipeline()),
                envelope.getDelegationDepth(), 0, envelope.getOccurredAt());
    }

    /** The stage fails, visibly, because the trigger's grant does not authorise the run. */
    public RunEvent refused(RunEvent trigger, String reason) {
        return RunEvents.failed(envelopes.causedBy(trigger.getEnvelope(), "finished", 0), STAGE,
                "unauthorised: " + reason, false);
    }

    /** A re-driven row validated again: the event that reports it, and its violations (none when it is valid now). */
    public record Redrive(RunEvent reported, List<RowViolation> violations) {
        public boolean valid() {
            return violations.isEmpty();
        }
    }

    /**
     * Validates a row a person fixed and re-drove. The report's id derives from the row's own event id, which a
     * re-drive keeps, so the same row re-driven twice gives the same report and is applied once.
     */
    public Redrive redriven(DataRow row, DataContract contract) {
        Map<String, String> values = new java.util.LinkedHashMap<>();
        row.getValues().forEach((k, v) -> values.put(k, v));
        List<RowViolation> violations = new RowValidator(contract).validate(values);
        Envelope cause = row.getEnvelope();
        String reason = violations.stream().map(Object::toString).collect(java.util.stream.Collectors.joining("; "));
        RunEvent reported = new RunEvent(envelopes.causedBy(cause, "redriven", 0),
                new dev.agentmesh.run.RowRedriven(row.getRowIndex(), violations.isEmpty(), reason, cause.getEventId()));
        return new Redrive(reported, violations);
    }

    public Outcome handle(RunEvent trigger) {
        return handle(trigger, null, 0);
    }

    /**
     * For a TOPIC source, the shell reads the topic and passes its rows ({@code topicRows}) and how many of its records
     * could not be decoded ({@code undecodable}: they count as rows in and rows rejected, and the shell dead-letters them).
     */
    public Outcome handle(RunEvent trigger, CsvRows.Table topicRows, long undecodable) {
        long startNanos = System.nanoTime();
        Envelope cause = trigger.getEnvelope();
        RunTriggered request = (RunTriggered) trigger.getPayload();
        RunEvent started = RunEvents.started(envelopes.causedBy(cause, "started", 0), STAGE);
        try {
            RowValidator validator = new RowValidator(DataContract.load(request.getContract()));
            CsvRows.Table table = switch (request.getSourceKind()) {
                case GENERATOR -> TransactionGenerator.generate(TransactionGenerator.Spec.parse(request.getSourceLocation()));
                case TOPIC -> java.util.Objects.requireNonNull(topicRows, "a TOPIC source needs the topic's rows");
                default -> CsvRows.read(Path.of(request.getSourceLocation()));
            };
            List<String> headerProblems = validator.headerProblems(new HashSet<>(table.header()));
            if (!headerProblems.isEmpty()) {
                return failed(started, cause, "source does not match contract " + request.getContract() + ": "
                        + String.join("; ", headerProblems), startNanos);
            }
            List<DataRow> valid = new ArrayList<>();
            List<Rejection> rejected = new ArrayList<>();
            Map<String, Long> rejectedByField = new TreeMap<>();
            for (int i = 0; i < table.rows().size(); i++) {
                Map<String, String> values = table.rows().get(i);
                DataRow row = new DataRow(envelopes.item(cause, "row-" + i), (long) i, new LinkedHashMap<>(values));
                List<RowViolation> violations = validator.validate(values);
                if (violations.isEmpty()) {
                    valid.add(row);
                } else {
                    rejected.add(new Rejection(row, violations));
                    violations.stream().map(RowViolation::field).distinct()
                            .forEach(f -> rejectedByField.merge("rejected." + f, 1L, Long::sum));
                }
            }
            Map<String, Long> counts = new TreeMap<>(rejectedByField);
            if (undecodable > 0) {
                counts.put("rejected.undecodable", undecodable);
            }
            counts.put("rows.in", table.rows().size() + undecodable);
            counts.put("rows.out", (long) valid.size());
            counts.put("rows.rejected", rejected.size() + undecodable);
            Map<String, String> audit = Map.of(
                    AuditKeys.CONTRACT, request.getContract(),
                    "contract.version", Integer.toString(validator.contract().version()),
                    AuditKeys.SOURCE, request.getSourceKind() + ":" + request.getSourceLocation(),
                    AuditKeys.PLAN, String.join(",", request.getPlannedStages()),
                    AuditKeys.TRIGGERED_AT, cause.getOccurredAt().toString(),
                    "completeness", (valid.size() + rejected.size() == table.rows().size()) ? "rows.in = rows.out + rows.rejected" : "MISMATCH");
            RunEvent finished = RunEvents.completed(envelopes.causedBy(cause, "finished", elapsedMs(startNanos)),
                    STAGE, counts, audit);
            return new Outcome(started, valid, rejected, finished);
        } catch (RuntimeException e) {
            return failed(started, cause, e.getMessage() == null ? e.toString() : e.getMessage(), startNanos);
        }
    }

    private Outcome failed(RunEvent started, Envelope cause, String reason, long startNanos) {
        RunEvent failed = RunEvents.failed(envelopes.causedBy(cause, "finished", elapsedMs(startNanos)), STAGE, reason, false);
        return new Outcome(started, List.of(), List.of(), failed);
    }

    private static long elapsedMs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
