package dev.agentmesh.diagnosis;

import dev.agentmesh.core.Stages;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.runstate.TriageState;
import dev.agentmesh.triage.Remediation;
import dev.agentmesh.triage.RemediationKind;
import dev.agentmesh.triage.RunDiagnosed;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Merges a triage's findings into one diagnosis: each investigator's summary, the investigators that did not answer
 * (named, never guessed at), and one proposed remediation for the first failure class, which a person applies (or an
 * agent under a grant that allows it).
 */
public final class Synthesis {

    private Synthesis() {
    }

    public static RunDiagnosed diagnose(RunState state, TriageState.Opened opened, List<TriageState.Finding> findings) {
        List<String> answered = findings.stream().map(TriageState.Finding::investigator).sorted().toList();
        List<String> missing = opened.investigators().stream().filter(i -> !answered.contains(i)).sorted().toList();
        List<String> lines = new ArrayList<>();
        findings.stream().sorted(Comparator.comparing(TriageState.Finding::investigator))
                .forEach(f -> lines.add(f.investigator() + ": " + f.summary()));
        missing.forEach(m -> lines.add(m + ": MISSING, no answer by " + opened.deadline()));
        if (lines.isEmpty()) {
            lines.add("no investigation was delegated");
        }
        return new RunDiagnosed(opened.triageId(), opened.classes(), String.join("\n", lines), answered, missing,
                remediation(state, opened.classes(), findings));
    }

    static Remediation remediation(RunState state, List<String> classes, List<TriageState.Finding> findings) {
        if (classes.isEmpty()) {
            return new Remediation(RemediationKind.NONE, "nothing to propose", null);
        }
        String run = state.runId();
        Optional<String> failedStage = failedStage(state);
        return switch (FailureClass.valueOf(classes.get(0))) {
            case DATA -> {
                String columns = findings.stream().filter(f -> f.data() != null).findFirst()
                        .map(f -> topColumns(f.data().rejectedByColumn())).orElse("the rejected columns");
                yield new Remediation(RemediationKind.CONTRACT_CHANGE, "fix the source's rows in " + columns + " (or relax contract "
                        + state.contract() + "'s rules for them, as a new contract version), then resume from row validation",
                        resume(run, Stages.ROW_VALIDATION));
            }
            case SCHEMA -> new Remediation(RemediationKind.CONTRACT_CHANGE, "the source's columns no longer match contract "
                    + state.contract() + ": draft a new version from the source (meshctl contracts infer --csv FILE) or fix"
                    + " the source, then resume", resume(run, failedStage.orElse(Stages.ROW_VALIDATION)));
            case TRAINING -> {
                String cells = findings.stream().filter(f -> f.training() != null).findFirst()
                        .map(f -> f.training().failed().stream().map(c -> c.cellId() + " (learning rate " + c.learningRate()
                                + ")").collect(Collectors.joining(", "))).orElse("the failed cells");
                yield new Remediation(RemediationKind.GRID_CHANGE, "remove or change the grid's failing cells: " + cells
                        + "; then resume from the sweep with the new grid", resume(run, Stages.SWEEP));
            }
            case AUTHORISATION, BUDGET -> new Remediation(RemediationKind.GRANT_REQUEST, "ask the principal for a live grant"
                    + " that allows the refused action on run:" + run + (classes.contains(FailureClass.BUDGET.name())
                    ? " with enough budget" : "") + "; then resume", failedStage.map(s -> resume(run, s)).orElse(null));
            case INFRASTRUCTURE -> {
                String stage = failedStage.or(() -> Optional.ofNullable(state.stall()).map(RunState.Stall::stage))
                        .orElse(Stages.ROW_VALIDATION);
                yield new Remediation(RemediationKind.RESUME, "resume from " + stage + " once what it needs is back ("
                        + reasonOf(state, stage) + ")", resume(run, stage));
            }
        };
    }

    static String resume(String runId, String stage) {
        return "meshctl runs resume " + runId + " --from " + stage;
    }

    private static Optional<String> failedStage(RunState state) {
        return state.plannedStages().stream().filter(s -> {
            StageState stage = state.stages().get(s);
            return stage != null && stage.status() == StageState.Status.FAILED;
        }).findFirst();
    }

    private static String reasonOf(RunState state, String stage) {
        StageState s = state.stages().get(stage);
        if (s != null && s.reason() != null) {
            return s.reason();
        }
        return state.stall() != null ? state.stall().reason() : "no reason recorded";
    }

    private static String topColumns(Map<String, Long> byColumn) {
        return byColumn.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(5).map(e -> String.format(Locale.ROOT, "%s (%d rows)", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", "));
    }
}
