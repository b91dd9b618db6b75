package dev.agentmesh.contract;

import dev.agentmesh.run.RowRedriven;
import java.util.Objects;
import java.util.Set;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.contract.RowValidator;
import dev.agentmesh.contract.RowViolation;
import dev.agentmesh.contract.TransactionGenerator;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Handoffs;
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
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The row-validator's decision logic, free of Kafka: a trigger in, stage events, valid rows and rejections out. */
public final class RowValidationAgent {

    public static final String STAGE = Stages.ROW_VALIDATION;

    public record Rejection(DataRow row, List<RowViolation> violations) {
        public String reason() {
            return RowValidationAgent.reason(row.getRowIndex(), violations);
        }
    }

    public record Outcome(RunEvent started, List<DataRow> valid, List<Rejection> rejected, RunEvent finished) {
    }

    private final Envelopes envelopes;
    private final SourcePolicy sources;

    /** An agent that reads file sources anywhere (tests, replays). */
    public RowValidationAgent(Envelopes envelopes) {
        this(envelopes, SourcePolicy.anywhere());
    }

    public RowValidationAgent(Envelopes envelopes, SourcePolicy sources) {
        this.envelopes = envelopes;
        this.sources = sources;
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
        Map<String, String> values = new LinkedHashMap<>();
        row.getValues().forEach((k, v) -> values.put(k, v));
        List<RowViolation> violations = new RowValidator(contract).validate(values);
        Envelope cause = row.getEnvelope();
        String reason = violations.stream().map(Object::toString).collect(Collectors.joining("; "));
        RunEvent reported = new RunEvent(envelopes.causedBy(cause, "redriven", 0),
                new RowRedriven(row.getRowIndex(), violations.isEmpty(), reason, cause.getEventId()));
        return new Redrive(reported, violations);
    }

    public Outcome handle(RunEvent trigger) {
        return handle(trigger, null, 0);
    }

    /**
     * The whole stage in memory: for tests, replays and small sources. For a TOPIC source the caller passes the
     * topic's rows ({@code topicRows}) and how many of its records could not be decoded ({@code undecodable}: they
     * count as rows in and rows rejected, and the shell dead-letters them). Services stream instead ({@link #begin}).
     */
    public Outcome handle(RunEvent trigger, CsvRows.Table topicRows, long undecodable) {
        Validation validation = begin(trigger);
        List<DataRow> valid = new ArrayList<>();
        List<Rejection> rejected = new ArrayList<>();
        if (!validation.failed()) {
            try {
                CsvRows.Table table = validation.sourceKind() == SourceKind.TOPIC
                        ? Objects.requireNonNull(topicRows, "a TOPIC source needs the topic's rows")
                        : validation.readTable();
                for (long i = 0; i < undecodable; i++) {
                    validation.undecodable();
                }
                if (validation.acceptsHeader(new HashSet<>(table.header()))) {
                    for (Map<String, String> values : table.rows()) {
                        Verdict verdict = validation.check(values);
                        DataRow row = new DataRow(validation.rowEnvelope(verdict.rowIndex()), verdict.rowIndex(), new LinkedHashMap<>(values));
                        if (verdict.valid()) {
                            valid.add(row);
                        } else {
                            rejected.add(new Rejection(row, verdict.violations()));
                        }
                    }
                }
            } catch (RuntimeException e) {
                validation.fail(e);
            }
        }
        RunEvent finished = validation.finished(); // may fail the stage: over the contract's rejection limit
        return validation.failed()
                ? new Outcome(validation.started(), List.of(), List.of(), finished)
                : new Outcome(validation.started(), valid, rejected, finished);
    }

    /** One row's verdict: its index in the source and its violations (none when it is valid). */
    public record Verdict(long rowIndex, List<RowViolation> violations) {
        public boolean valid() {
            return violations.isEmpty();
        }

        public String reason() {
            return RowValidationAgent.reason(rowIndex, violations);
        }
    }

    static String reason(long rowIndex, List<RowViolation> violations) {
        return "row " + rowIndex + " violates the data contract: "
                + violations.stream().map(RowViolation::toString).collect(Collectors.joining("; "));
    }

    /** Starts validating the trigger's run: the shell streams the rows through the returned {@link Validation}. */
    public Validation begin(RunEvent trigger) {
        return new Validation(trigger);
    }

    /**
     * One run's validation, row by row, so a shell can send each row on as soon as it is checked: rows get their
     * index in arrival order, the contract's unique key is enforced across the run, and the counts for the
     * completion event accumulate as rows pass. Any failure (unreadable source, unknown contract, a source whose
     * columns do not match) ends the stage with a failure event and no completion, so downstream stages never read
     * the rows already sent.
     */
    public final class Validation {
        private final long startNanos = System.nanoTime();
        private final Envelope cause;
        private final RunTriggered request;
        private final RunEvent started;
        private final RowValidator validator;
        private final RowValidator.UniqueKeys keys;
        private final Map<String, Long> rejectedByField = new TreeMap<>();
        private long rowsChecked;
        private long rowsValid;
        private long rowsUndecodable;
        private String failure;

        private Validation(RunEvent trigger) {
            this.cause = trigger.getEnvelope();
            this.request = (RunTriggered) trigger.getPayload();
            this.started = RunEvents.started(envelopes.causedBy(cause, "started", 0), STAGE);
            RowValidator loaded = null;
            try {
                loaded = new RowValidator(DataContract.load(request.getContract()));
            } catch (RuntimeException e) {
                fail(e);
            }
            this.validator = loaded;
            this.keys = loaded == null ? null : new RowValidator.UniqueKeys(loaded.contract());
        }

        public RunEvent started() {
            return started;
        }

        public SourceKind sourceKind() {
            return request.getSourceKind();
        }

        public String sourceLocation() {
            return request.getSourceLocation();
        }

        /** A CSV file or generated rows, whole (TOPIC sources are streamed by the shell). */
        public CsvRows.Table readTable() {
            return switch (request.getSourceKind()) {
                case GENERATOR -> TransactionGenerator.generate(TransactionGenerator.Spec.parse(request.getSourceLocation()));
                case CSV -> CsvRows.read(csvFile());
                default -> throw new IllegalStateException(request.getSourceKind() + " sources are streamed, not read whole");
            };
        }

        /** The CSV source's file, if the agent's source policy allows reading it. */
        public Path csvFile() {
            return sources.file(request.getSourceLocation());
        }

        /**
         * Checks the source's columns (a CSV header, or a topic's first row) before any row: a missing or unexpected
         * column makes every row unusable, so the stage fails instead.
         */
        public boolean acceptsHeader(Set<String> header) {
            List<String> problems = validator.headerProblems(header);
            if (!problems.isEmpty()) {
                failure = "source does not match contract " + request.getContract() + ": " + String.join("; ", problems);
            }
            return problems.isEmpty();
        }

        public Verdict check(Map<String, String> values) {
            long index = rowsChecked++;
            List<RowViolation> violations = validator.validate(values);
            RowViolation duplicate = keys.check(values, index);
            if (duplicate != null) {
                violations = new ArrayList<>(violations);
                violations.add(duplicate);
            }
            if (violations.isEmpty()) {
                rowsValid++;
            } else {
                violations.stream().map(RowViolation::field).distinct()
                        .forEach(f -> rejectedByField.merge("rejected." + f, 1L, Long::sum));
            }
            return new Verdict(index, violations);
        }

        /**
         * A checked row that the shell cannot carry: {@code bytes} as a record, over {@code limit}. It is rejected
         * whatever its cells say (and the shell dead-letters it without a copy).
         */
        public Verdict tooLarge(Verdict verdict, long bytes, long limit) {
            if (verdict.valid()) {
                rowsValid--;
            }
            rejectedByField.merge("rejected." + RowValidator.ROW, 1L, Long::sum);
            return new Verdict(verdict.rowIndex(), List.of(new RowViolation(RowValidator.ROW,
                    bytes + " bytes as a record, over the mesh's limit of " + limit + " for one record")));
        }

        /** A source record that is not a row at all: it counts in and rejected, and the shell dead-letters it. */
        public void undecodable() {
            rowsUndecodable++;
        }

        /** The envelope of row {@code rowIndex}: id {@code <trigger id>/row-<index>}, under the trigger's grant. */
        public Envelope rowEnvelope(long rowIndex) {
            return envelopes.item(cause, "row-" + rowIndex);
        }

        /** Row {@code i}'s envelope is this one with {@code i} appended to its event id (for encoders that stream). */
        public Envelope rowEnvelopeTemplate() {
            return envelopes.item(cause, "row-");
        }

        public void fail(RuntimeException e) {
            fail(e.getMessage() == null ? e.toString() : e.getMessage());
        }

        public void fail(String reason) {
            if (failure == null) {
                failure = reason;
            }
        }

        public boolean failed() {
            return failure != null;
        }

        /** The stage's last event: its completion with the counts and the audit, or its failure with the reason. */
        public RunEvent finished() {
            long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
            Envelope envelope = envelopes.causedBy(cause, "finished", elapsedMs);
            if (failure == null) {
                failure = overRejectionLimit();
            }
            if (failure != null) {
                return RunEvents.failed(envelope, STAGE, failure, false);
            }
            long rejected = rowsChecked - rowsValid;
            Map<String, Long> counts = new TreeMap<>(rejectedByField);
            if (rowsUndecodable > 0) {
                counts.put("rejected.undecodable", rowsUndecodable);
            }
            counts.put("rows.in", rowsChecked + rowsUndecodable);
            counts.put("rows.out", rowsValid);
            counts.put("rows.rejected", rejected + rowsUndecodable);
            Map<String, String> audit = Map.of(
                    "contract.version", Integer.toString(validator.contract().version()),
                    AuditKeys.SOURCE, request.getSourceKind() + ":" + request.getSourceLocation(),
                    "completeness", "rows.in = rows.out + rows.rejected");
            return RunEvents.completed(envelope, STAGE, counts, audit, Handoffs.of(request.getPlannedStages(),
                    request.getContract(), cause.getOccurredAt(), rowsValid));
        }

        /**
         * The contract's {@code max_rejected_fraction} exceeded: the reason names the columns and their counts (never a
         * value: a sensitive column's would leak), so the run's failure says what to look at.
         */
        private String overRejectionLimit() {
            Double limit = validator.contract().maxRejectedFraction();
            long in = rowsChecked + rowsUndecodable;
            long rejected = rowsRejected();
            if (limit == null || in == 0 || (double) rejected / in <= limit) {
                return null;
            }
            String byColumn = rejectedByField.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .map(e -> e.getKey().substring("rejected.".length()) + " " + e.getValue())
                    .collect(Collectors.joining(", "));
            if (rowsUndecodable > 0) {
                byColumn = byColumn + (byColumn.isEmpty() ? "" : ", ") + "undecodable " + rowsUndecodable;
            }
            return String.format(Locale.ROOT, "%d of %d rows (%.1f%%) broke data contract %s, over its limit of %.1f%%;"
                    + " rejected by column: %s", rejected, in, 100.0 * rejected / in, request.getContract(), 100 * limit, byColumn);
        }

        public long rowsValid() {
            return rowsValid;
        }

        public long rowsRejected() {
            return rowsChecked - rowsValid + rowsUndecodable;
        }
    }
}
