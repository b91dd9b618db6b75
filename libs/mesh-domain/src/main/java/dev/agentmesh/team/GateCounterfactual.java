package dev.agentmesh.team;

import dev.agentmesh.runstate.GateState;
import dev.agentmesh.runstate.RunState;

import java.util.List;
import java.util.Optional;

/**
 * What the gate would have decided on a recorded run under another policy: the conflict rule applied to the
 * assessments the specialists returned then ({@link GateDecider#verdicts}), beside the decision recorded. Nothing is
 * asked again and nothing is spent: the specialists' answers are the recorded ones, so a policy that needs a
 * specialist the run never asked finds that assessment missing.
 */
public final class GateCounterfactual {

    private GateCounterfactual() {
    }

    /** One run's recorded decision and the counterfactual one. */
    public record Comparison(String runId, String recorded, String counterfactual, String reason) {
        public boolean changed() {
            return !recorded.equals(counterfactual);
        }
    }

    /** Empty for a run the gate never decided. */
    public static Optional<Comparison> of(RunState run, GatePolicy policy) {
        return of(run.runId(), run.gate(), policy);
    }

    /** Empty when {@code gate} holds no decision. */
    public static Optional<Comparison> of(String runId, GateState gate, GatePolicy policy) {
        if (gate == null || gate.decision() == null) {
            return Optional.empty();
        }
        GateDecider.Verdicts verdicts = GateDecider.verdicts(gate.assessments(), policy.specialists(), policy.returnWhen());
        return Optional.of(new Comparison(runId, gate.decision().disposition(), verdicts.disposition().name(),
                verdicts.reason()));
    }

    /** How many of {@code comparisons} changed. */
    public static long changed(List<Comparison> comparisons) {
        return comparisons.stream().filter(Comparison::changed).count();
    }
}
