package dev.agentmesh.diagnosis;

import dev.agentmesh.judgment.Answer;
import dev.agentmesh.judgment.AnswerSchema;
import dev.agentmesh.judgment.Judged;
import dev.agentmesh.judgment.Judgment;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.judgment.Question;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.runstate.SweepState;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The classification as a judgment: the rules' classes by default; with a model configured, the model names the
 * first class from the run's failures (one of the same classes, checked against a schema derived from them) and the
 * rules' other classes follow, so every investigator the rules would ask is still asked. A model that gives no usable
 * answer leaves the rules' classes, and the calls it made are recorded all the same.
 */
public final class TriageJudgment {

    public static final String PURPOSE = "triage";
    static final Schema CLASSES = SchemaBuilder.enumeration("FailureClass").namespace("dev.agentmesh.triage")
            .symbols(Arrays.stream(FailureClass.values()).map(Enum::name).toArray(String[]::new));

    private TriageJudgment() {
    }

    /** The classes, the model calls behind them, and which judgment named the first. */
    public record Classification(List<FailureClass> classes, List<ModelCalled> calls, String classifiedBy) {

        public static Classification byRules(RunState state) {
            return new Classification(TriageClassifier.classify(state), List.of(), Judgment.rules().name());
        }
    }

    public static Question question(RunState state, List<FailureClass> rules) {
        return new Question(PURPOSE, "You are the triage supervisor of an ML training mesh. A run failed or stalled. Name "
                + "the failure class that best explains it, from the facts below: DATA (rows broke the data contract), SCHEMA "
                + "(the source's columns or the feature schema no longer match), TRAINING (cells diverged or failed to train), "
                + "AUTHORISATION (a grant refused an action), BUDGET (a budget ran out) or INFRASTRUCTURE (a stage timed out, "
                + "went silent or could not reach what it needs). 'summary' is one line an on-call engineer can act on; cite "
                + "the facts you rely on in 'evidence'.", facts(state, rules), AnswerSchema.of(CLASSES));
    }

    public static Answer rulesAnswer(List<FailureClass> rules) {
        String names = rules.stream().map(Enum::name).collect(Collectors.joining(", "));
        return new Answer(rules.get(0).name(), "the rules name " + names, Map.of("classes", names));
    }

    /** The model's class first, when it gave a usable one, then the rules' others; else the rules'. */
    public static Classification classified(Judged judged, List<FailureClass> rules, Judgment judgment) {
        if (!judged.usable()) {
            return new Classification(rules, judged.calls(), Judgment.rules().name() + " (" + judgment.name() + " gave no usable"
                    + " answer: " + judged.failure() + ")");
        }
        List<FailureClass> classes = new ArrayList<>();
        classes.add(FailureClass.valueOf(judged.answer().verdict()));
        rules.stream().filter(c -> !classes.contains(c)).forEach(classes::add);
        return new Classification(List.copyOf(classes), judged.calls(), judgment.name());
    }

    /** What the model reads: the run's failures in a stable order, and what the rules concluded. */
    static String facts(RunState state, List<FailureClass> rules) {
        StringBuilder facts = new StringBuilder("Run " + state.runId() + " (" + state.status() + "), pipeline "
                + state.pipeline() + ", contract " + state.contract() + ".\n");
        for (String name : state.plannedStages()) {
            StageState s = state.stages().get(name);
            facts.append("Stage ").append(name).append(": ").append(s == null ? "not started" : s.status()
                    + (s.reason() == null ? "" : " - " + s.reason())).append('\n');
        }
        if (state.sweep() != null) {
            state.sweep().cells().values().stream()
                    .filter(c -> c.status() == SweepState.CellStatus.FAILED || c.status() == SweepState.CellStatus.TIMED_OUT)
                    .forEach(c -> facts.append("Cell ").append(c.cellId()).append(' ').append(c.status()).append(": ")
                            .append(c.reason()).append('\n'));
        }
        if (state.stall() != null) {
            facts.append("Stalled in ").append(state.stall().stage()).append(": ").append(state.stall().reason()).append('\n');
        }
        facts.append("The rules' classes: ").append(rules);
        return facts.toString();
    }
}
