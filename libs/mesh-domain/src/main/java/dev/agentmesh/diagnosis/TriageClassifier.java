package dev.agentmesh.diagnosis;

import dev.agentmesh.core.Stages;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.runstate.SweepState;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Deterministic rules that name a failed or stalled run's failure classes from its folded state: the failed stage
 * and its reason, the sweep's cells, the gate's refusals, a stall flag. Most specific first; a failure no rule
 * recognises is {@link FailureClass#INFRASTRUCTURE}.
 */
public final class TriageClassifier {

    private TriageClassifier() {
    }

    public static List<FailureClass> classify(RunState state) {
        Set<FailureClass> classes = new LinkedHashSet<>();
        for (StageState stage : state.stages().values()) {
            if (stage.status() == StageState.Status.FAILED) {
                classes.addAll(ofStage(stage, state.sweep()));
            }
        }
        if (state.gate() != null && !state.gate().refusals().isEmpty()) {
            classes.add(FailureClass.AUTHORISATION);
        }
        if (state.status() == RunStatus.REVOKED) {
            classes.add(FailureClass.AUTHORISATION);
        }
        if (state.stall() != null || classes.isEmpty()) {
            classes.add(FailureClass.INFRASTRUCTURE);
        }
        return List.copyOf(classes);
    }

    static Set<FailureClass> ofStage(StageState stage, SweepState sweep) {
        Set<FailureClass> classes = new LinkedHashSet<>();
        String reason = stage.reason() == null ? "" : stage.reason().toLowerCase(Locale.ROOT);
        if (reason.contains("budget")) {
            classes.add(FailureClass.BUDGET);
        }
        if (reason.startsWith("unauthorised") || reason.contains("refused") || reason.contains("grant ")
                || reason.contains("revoked")) {
            classes.add(FailureClass.AUTHORISATION);
        }
        if (reason.contains("broke data contract") || reason.contains("rows rejected")) {
            classes.add(FailureClass.DATA);
        }
        if (reason.contains("does not match contract") || reason.contains("schema check failed")
                || reason.contains("no data contract") || reason.contains("invalid data contract")) {
            classes.add(FailureClass.SCHEMA);
        }
        if (Stages.SWEEP.equals(stage.stage()) && sweep != null) {
            boolean trainingFailed = sweep.cells().values().stream()
                    .anyMatch(c -> c.status() == SweepState.CellStatus.FAILED);
            boolean timedOut = sweep.cells().values().stream()
                    .anyMatch(c -> c.status() == SweepState.CellStatus.TIMED_OUT);
            if (trainingFailed || reason.contains("diverged")) {
                classes.add(FailureClass.TRAINING);
            }
            if (timedOut) {
                classes.add(FailureClass.INFRASTRUCTURE);
            }
        } else if (reason.contains("diverged")) {
            classes.add(FailureClass.TRAINING);
        }
        if (reason.contains("timed out") || reason.contains("cannot read") || reason.contains("no such file")
                || reason.contains("not readable") || reason.contains("does not exist")) {
            classes.add(FailureClass.INFRASTRUCTURE);
        }
        return classes;
    }
}
