package dev.agentmesh.assessment;

import dev.agentmesh.contract.DataContract;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.data.Split;
import dev.agentmesh.features.FeatureSchema;
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
 * The candidate against the current production model, both scored on the candidate run's test split. A regression
 * in log loss or AUC past its threshold blocks; the first run, with no production model, must clear an AUC floor.
 */
public final class ModelQuality {

    /** Regression thresholds, and the floor a first deployment must clear. */
    public record Thresholds(double maxLogLossRegression, double maxAucDrop, double minAuc) {
    }

    private ModelQuality() {
    }

    public static AssessmentReturned assess(Candidate candidate, ModelRegistry registry, Thresholds thresholds) {
        DataContract contract = DataContract.load(candidate.getContract());
        List<String> names = FeatureSchema.expectedNames(contract);
        List<DatasetRow> rows = Scoring.split(candidate.getDatasetLocation(), Split.TEST);
        boolean[] truth = Scoring.positives(rows, contract.positiveLabel());
        ClassifierMetrics cand = ClassifierMetrics.of(Scoring.positiveProbabilities(
                ModelRegistry.load(candidate.getCheckpoint(), candidate.getCheckpointChecksum()), names, rows,
                contract.positiveLabel()), truth);
        Optional<ModelRegistry.AliasTarget> production = registry.alias(candidate.getContract(), GatePolicy.PRODUCTION_ALIAS)
                .filter(p -> !p.checkpoint().equals(candidate.getCheckpoint()));
        ClassifierMetrics prod = production.map(p -> ClassifierMetrics.of(Scoring.positiveProbabilities(
                ModelRegistry.load(p.checkpoint(), p.checksum()), names, rows, contract.positiveLabel()), truth)).orElse(null);
        Map<String, String> evidence = new TreeMap<>();
        evidence.put("eval.set", Scoring.splitUri(candidate.getDatasetLocation(), Split.TEST));
        evidence.put("candidate.checkpoint", candidate.getCheckpoint());
        evidence.put("production.checkpoint", production.map(ModelRegistry.AliasTarget::checkpoint)
                .orElse("none: first deployment of " + candidate.getContract()));
        return judge(cand, prod, thresholds, evidence);
    }

    /** The verdict on measured metrics; {@code production} is null when there is no production model. */
    public static AssessmentReturned judge(ClassifierMetrics candidate, ClassifierMetrics production, Thresholds t,
                                           Map<String, String> evidence) {
        Map<String, Double> metrics = new TreeMap<>();
        metrics.put("candidate.log-loss", candidate.logLoss());
        metrics.put("candidate.auc", candidate.auc());
        metrics.put("candidate.accuracy", candidate.accuracy());
        metrics.put("eval.rows", (double) candidate.n());
        Map<String, String> ev = new TreeMap<>(evidence);
        ev.put("thresholds", String.format(Locale.ROOT, "log loss regression <= %.4f, AUC drop <= %.4f, first-deployment AUC >= %.3f",
                t.maxLogLossRegression(), t.maxAucDrop(), t.minAuc()));
        if (production == null) {
            boolean clears = candidate.auc() >= t.minAuc();
            return new AssessmentReturned(Specialists.MODEL_QUALITY, clears ? Verdict.APPROVE : Verdict.BLOCK,
                    String.format(Locale.ROOT, "first deployment (no production model): AUC %.4f %s the floor %.3f, log loss %.4f",
                            candidate.auc(), clears ? "clears" : "is below", t.minAuc(), candidate.logLoss()), metrics, ev);
        }
        double regression = candidate.logLoss() - production.logLoss();
        double aucDrop = production.auc() - candidate.auc();
        metrics.put("production.log-loss", production.logLoss());
        metrics.put("production.auc", production.auc());
        metrics.put("production.accuracy", production.accuracy());
        metrics.put("log-loss.regression", regression);
        metrics.put("auc.drop", aucDrop);
        String numbers = String.format(Locale.ROOT, "log loss %.4f vs production %.4f (%+.4f), AUC %.4f vs %.4f",
                candidate.logLoss(), production.logLoss(), regression, candidate.auc(), production.auc());
        Verdict verdict;
        String summary;
        if (regression > t.maxLogLossRegression() || aucDrop > t.maxAucDrop()) {
            verdict = Verdict.BLOCK;
            summary = "regression past the threshold: " + numbers;
        } else if (regression > 0 || aucDrop > 0) {
            verdict = Verdict.CONCERN;
            summary = "slightly worse than production, within the threshold: " + numbers;
        } else {
            verdict = Verdict.APPROVE;
            summary = "no regression: " + numbers;
        }
        return new AssessmentReturned(Specialists.MODEL_QUALITY, verdict, summary, metrics, ev);
    }
}
