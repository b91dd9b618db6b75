package dev.agentmesh.assessment;

import dev.agentmesh.artifacts.Artifacts;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Candidate;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.team.GatePolicy;
import dev.agentmesh.team.Specialists;
import dev.agentmesh.training.ModelRegistry;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Rollback readiness and a canary plan. The candidate must load with its checksum; the production checkpoint it
 * replaces (the rollback target) must exist, match its recorded checksum, and load. A first deployment has nothing
 * to roll back to, and says so: rollback then means taking the alias down.
 */
public final class RollbackReadiness {

    /** Canary steps as traffic shares, each held for {@code holdMinutes}, aborted past the latency factor. */
    public record CanaryPolicy(List<Integer> stepsPercent, int holdMinutes, double abortLatencyFactor) {
    }

    private RollbackReadiness() {
    }

    public static AssessmentReturned assess(Candidate candidate, ModelRegistry registry, CanaryPolicy canary) {
        Map<String, Double> metrics = new TreeMap<>();
        Map<String, String> evidence = new TreeMap<>();
        evidence.put("canary.plan", plan(candidate, canary));
        try {
            ModelRegistry.load(candidate.getCheckpoint(), candidate.getCheckpointChecksum());
            evidence.put("candidate", "loads, checksum " + candidate.getCheckpointChecksum());
            metrics.put("candidate.loads", 1.0);
        } catch (RuntimeException e) {
            metrics.put("candidate.loads", 0.0);
            return new AssessmentReturned(Specialists.DEPLOYMENT_ENGINEER, Verdict.BLOCK,
                    "the candidate cannot be loaded: " + e.getMessage(), metrics, evidence);
        }
        Optional<ModelRegistry.AliasTarget> production = registry.alias(candidate.getContract(), GatePolicy.PRODUCTION_ALIAS)
                .filter(p -> !p.checkpoint().equals(candidate.getCheckpoint()));
        if (production.isEmpty()) {
            evidence.put("rollback.target", "none: first deployment of " + candidate.getContract()
                    + "; rollback takes the alias down");
            return new AssessmentReturned(Specialists.DEPLOYMENT_ENGINEER, Verdict.APPROVE,
                    "first deployment: candidate loads; no previous production model to roll back to", metrics, evidence);
        }
        ModelRegistry.AliasTarget target = production.get();
        evidence.put("rollback.target", target.checkpoint() + " (" + target.checksum() + ", run " + target.runId() + ")");
        if (!Artifacts.exists(target.checkpoint())) {
            metrics.put("rollback.loads", 0.0);
            return new AssessmentReturned(Specialists.DEPLOYMENT_ENGINEER, Verdict.BLOCK,
                    "rollback target is missing: " + target.checkpoint(), metrics, evidence);
        }
        try {
            ModelRegistry.load(target.checkpoint(), target.checksum());
        } catch (RuntimeException e) {
            metrics.put("rollback.loads", 0.0);
            return new AssessmentReturned(Specialists.DEPLOYMENT_ENGINEER, Verdict.BLOCK,
                    "rollback target does not load or its checksum differs: " + e.getMessage(), metrics, evidence);
        }
        metrics.put("rollback.loads", 1.0);
        return new AssessmentReturned(Specialists.DEPLOYMENT_ENGINEER, Verdict.APPROVE,
                "rollback ready: previous production checkpoint exists, matches its checksum and loads", metrics, evidence);
    }

    static String plan(Candidate candidate, CanaryPolicy canary) {
        StringBuilder out = new StringBuilder();
        for (int step : canary.stepsPercent()) {
            out.append(step).append("% for ").append(step == 100 ? "the rest" : canary.holdMinutes() + " min").append(" -> ");
        }
        out.setLength(Math.max(0, out.length() - 4));
        out.append(String.format(Locale.ROOT, "; abort and roll back if p99 latency > %.1f x %.2f us or error rate rises",
                canary.abortLatencyFactor(), candidate.getInferenceLatencyMicros()));
        return out.toString();
    }
}
