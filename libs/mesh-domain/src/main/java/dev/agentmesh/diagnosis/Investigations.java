package dev.agentmesh.diagnosis;

import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.contract.RowValidationAgent;
import dev.agentmesh.contract.RowViolation;
import dev.agentmesh.core.Stages;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.runstate.GateState;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.runstate.SweepState;
import dev.agentmesh.runstate.TriageState;
import dev.agentmesh.triage.AccessFinding;
import dev.agentmesh.triage.CellDiagnosis;
import dev.agentmesh.triage.DataFinding;
import dev.agentmesh.triage.InfraFinding;
import dev.agentmesh.triage.Refusal;
import dev.agentmesh.triage.TrainingFinding;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What each investigator finds, from the run's folded state and, for data, the source checked again against its
 * contract. Every finding carries evidence a person can check: row ids, event ids, a source's row numbers.
 */
public final class Investigations {

    /** How many rejected rows a data finding names. */
    static final int SAMPLE_ROWS = 5;
    private static final Pattern GRANT = Pattern.compile("grant ([0-9A-Za-z._-]+)");

    private Investigations() {
    }

    /** A finding and its one-line summary. */
    public record Found(String summary, Object finding) {
    }

    /**
     * Checks the run's source against its contract again, row by row (bounded memory: counts and a few samples), and
     * names the columns that broke it with their counts. A source that cannot be read again, or a topic source, is
     * reported from the validation stage's own counts.
     */
    public static Found data(RunState state, RunEvent trigger, RowValidationAgent agent) {
        StageState validation = state.stages().get(Stages.ROW_VALIDATION);
        List<String> evidence = new ArrayList<>();
        if (validation != null && validation.decidingEventId() != null) {
            evidence.add("event " + validation.decidingEventId());
        }
        if (trigger == null) {
            return new Found("the run's trigger is not in the log; from the validation stage's counts: "
                    + describe(validation == null ? Map.of() : columns(validation.counts())), fromCounts(validation, evidence));
        }
        RowValidationAgent.Validation check = agent.begin(trigger);
        TreeMap<String, Long> byColumn = new TreeMap<>();
        List<String> samples = new ArrayList<>();
        List<Long> sampleIndexes = new ArrayList<>();
        long[] rows = new long[2];
        if (!check.failed() && check.sourceKind() != SourceKind.TOPIC) {
            try {
                Consumer<Map<String, String>> each = values -> {
                    RowValidationAgent.Verdict verdict = check.check(values);
                    rows[0]++;
                    if (!verdict.valid()) {
                        rows[1]++;
                        verdict.violations().stream().map(RowViolation::field).distinct()
                                .forEach(f -> byColumn.merge(f, 1L, Long::sum));
                        if (samples.size() < SAMPLE_ROWS) {
                            samples.add(check.rowEnvelope(verdict.rowIndex()).getEventId());
                            sampleIndexes.add(verdict.rowIndex());
                        }
                    }
                };
                if (check.sourceKind() == SourceKind.CSV) {
                    CsvRows.stream(check.csvFile(), header -> check.acceptsHeader(new HashSet<>(header)), each);
                } else {
                    CsvRows.Table table = check.readTable();
                    if (check.acceptsHeader(new HashSet<>(table.header()))) {
                        table.rows().forEach(each);
                    }
                }
            } catch (RuntimeException e) {
                check.fail(e);
            }
        }
        if (check.failed()) {
            String reason = ((StageFailed) check.finished().getPayload()).getReason();
            return new Found("the source could not be checked again: " + reason,
                    fromCounts(validation, evidence));
        }
        if (check.sourceKind() == SourceKind.TOPIC) {
            return new Found("a topic source is not read again; from the validation stage's counts: "
                    + describe(validation == null ? Map.of() : columns(validation.counts())), fromCounts(validation, evidence));
        }
        evidence.add("source " + check.sourceKind() + ":" + check.sourceLocation() + " rows " + sampleIndexes);
        String summary = rows[1] == 0 ? "all " + rows[0] + " rows of the source meet contract " + state.contract()
                : String.format(Locale.ROOT, "%d of %d rows break contract %s; by column: %s", rows[1], rows[0],
                state.contract(), describe(byColumn));
        return new Found(summary, new DataFinding(rows[0], rows[1], new TreeMap<>(byColumn), samples, evidence));
    }

    private static DataFinding fromCounts(StageState validation, List<String> evidence) {
        Map<String, Long> counts = validation == null ? Map.of() : validation.counts();
        return new DataFinding(counts.getOrDefault("rows.in", 0L), counts.getOrDefault("rows.rejected", 0L),
                new TreeMap<>(columns(counts)), List.of(), evidence);
    }

    private static Map<String, Long> columns(Map<String, Long> counts) {
        TreeMap<String, Long> columns = new TreeMap<>();
        counts.forEach((k, v) -> {
            if (k.startsWith("rejected.")) {
                columns.put(k.substring("rejected.".length()), v);
            }
        });
        return columns;
    }

    private static String describe(Map<String, Long> byColumn) {
        if (byColumn.isEmpty()) {
            return "none";
        }
        return byColumn.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    /** The sweep's failed and timed-out cells, each with the hyper-parameters it was trained with. */
    public static Found training(RunState state) {
        SweepState sweep = state.sweep();
        if (sweep == null) {
            return new Found("the run has no sweep", new TrainingFinding(0, List.of()));
        }
        int succeeded = 0;
        List<CellDiagnosis> failed = new ArrayList<>();
        for (SweepState.CellState cell : sweep.cells().values()) {
            if (cell.status() == SweepState.CellStatus.SUCCEEDED) {
                succeeded++;
            } else if (cell.status() == SweepState.CellStatus.FAILED || cell.status() == SweepState.CellStatus.TIMED_OUT) {
                SweepState.Config c = cell.config();
                failed.add(new CellDiagnosis(cell.cellId(), cell.status().name(), Objects.requireNonNullElse(cell.reason(), ""),
                        cell.failedStep(), c == null ? "" : c.architecture(), c == null ? 0 : c.learningRate(),
                        c == null ? 0 : c.batchSize(), c == null ? 0 : c.epochs(), cell.attempt(),
                        Objects.requireNonNullElse(cell.decidingEventId(), "")));
            }
        }
        long diverged = failed.stream().filter(c -> c.getReason().contains("diverged")).count();
        String summary = failed.isEmpty() ? "no cell failed (" + succeeded + " succeeded)"
                : String.format(Locale.ROOT, "%d of %d cells failed (%d diverged): %s", failed.size(), sweep.cells().size(),
                diverged, failed.stream().map(c -> c.getCellId() + " " + c.getStatus() + " at learning rate "
                        + c.getLearningRate() + ", batch " + c.getBatchSize() + ", " + c.getEpochs() + " epochs")
                        .collect(Collectors.joining("; ")));
        return new Found(summary, new TrainingFinding(succeeded, failed));
    }

    /** Every refusal the run met: stages refused under a grant, delegations past their depth, the gate's refusals. */
    public static Found access(RunState state) {
        List<Refusal> refusals = new ArrayList<>();
        for (StageState stage : state.stages().values()) {
            String reason = stage.reason();
            if (stage.status() == StageState.Status.FAILED && reason != null && (reason.startsWith("unauthorised")
                    || reason.contains("refused") || reason.contains("budget") || reason.contains("revoked"))) {
                refusals.add(new Refusal(grantIn(reason), "stage " + stage.stage(), reason,
                        "event " + stage.decidingEventId()));
            }
        }
        if (state.gate() != null) {
            for (GateState.Refusal r : state.gate().refusals().values()) {
                refusals.add(new Refusal(grantIn(r.reason()), "delegation to " + r.agentRole() + " at depth "
                        + r.delegationDepth() + " (max " + r.maxDepth() + ")", r.reason(), "event " + r.refusedEventId()));
            }
        }
        if (state.triage() != null) {
            for (TriageState.Refusal r : state.triage().refusals().values()) {
                refusals.add(new Refusal(grantIn(r.reason()), "triage at depth " + r.depth(), r.reason(), "event " + r.eventId()));
            }
        }
        String summary = refusals.isEmpty() ? "no refusal on the run"
                : refusals.size() + " refusal(s): " + refusals.stream().map(r -> r.getWhat() + " - " + r.getReason())
                .collect(Collectors.joining("; "));
        return new Found(summary, new AccessFinding(refusals));
    }

    /** The stage that failed or went silent, for how long, and the agent that last acted on it. */
    public static Found infrastructure(RunState state, Instant now) {
        StageState failed = state.plannedStages().stream().map(s -> state.stages().get(s))
                .filter(s -> s != null && s.status() == StageState.Status.FAILED).findFirst().orElse(null);
        long silentMs = state.lastEventAt() == null ? 0 : Math.max(0, Duration.between(state.lastEventAt(), now).toMillis());
        List<String> evidence = new ArrayList<>();
        if (failed != null) {
            evidence.add("event " + failed.decidingEventId());
            return new Found("stage " + failed.stage() + " failed on " + failed.agentInstance() + ": " + failed.reason()
                    + "; the run has been silent for " + Duration.ofMillis(silentMs).toSeconds() + " s",
                    new InfraFinding(failed.stage(), failed.status().name(), Objects.requireNonNullElse(failed.reason(), ""),
                            failed.agentInstance(), silentMs, evidence));
        }
        if (state.stall() != null) {
            RunState.Stall stall = state.stall();
            evidence.add("event " + stall.eventId());
            StageState stage = state.stages().get(stall.stage());
            String agent = stage == null ? null : stage.agentInstance();
            return new Found("stage " + stall.stage() + " went silent" + (agent == null ? " before any agent took it" : " on " + agent)
                    + ": " + stall.reason(), new InfraFinding(stall.stage(), stage == null ? "NOT_STARTED" : stage.status().name(),
                    stall.reason(), agent, silentMs, evidence));
        }
        return new Found("no failed or silent stage; the run is " + state.status(),
                new InfraFinding("", state.status().name(), "", null, silentMs, evidence));
    }

    private static String grantIn(String reason) {
        Matcher m = GRANT.matcher(reason == null ? "" : reason);
        return m.find() ? m.group(1) : null;
    }
}
