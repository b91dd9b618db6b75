package dev.agentmesh.features;

import dev.agentmesh.contract.DataContract;

import java.util.ArrayList;
import java.util.List;

/**
 * The audit at the seam after feature extraction: the feature schema matches what the contract implies, every
 * vector fits the schema with finite values and a label the contract allows, and no row was lost on the way:
 * rows into validation = feature rows + rows rejected.
 */
public final class FeatureCheck {

    public record Counts(long rowsIntoValidation, long rowsRejected, long rowsExtracted, long featureRowsSeen) {
    }

    public record Result(boolean passed, List<String> problems) {
        public String summary() {
            return passed ? "passed" : String.join("; ", problems);
        }
    }

    private FeatureCheck() {
    }

    public static Result check(DataContract contract, List<String> featureNames, Counts counts,
                               Iterable<double[]> vectors, Iterable<String> labels) {
        List<String> problems = new ArrayList<>();
        List<String> expected = FeatureSchema.expectedNames(contract);
        if (!expected.equals(featureNames)) {
            List<String> missing = new ArrayList<>(expected);
            missing.removeAll(featureNames);
            List<String> extra = new ArrayList<>(featureNames);
            extra.removeAll(expected);
            problems.add("feature schema breaks contract " + contract.name() + ": missing " + missing + ", unexpected "
                    + extra + (missing.isEmpty() && extra.isEmpty() ? ", order differs" : ""));
        }
        if (counts.rowsIntoValidation() != counts.featureRowsSeen() + counts.rowsRejected()) {
            problems.add("completeness: rows in " + counts.rowsIntoValidation() + " != feature rows "
                    + counts.featureRowsSeen() + " + rows rejected " + counts.rowsRejected());
        }
        if (counts.rowsExtracted() != counts.featureRowsSeen()) {
            problems.add("feature-extraction reported " + counts.rowsExtracted() + " rows but " + counts.featureRowsSeen()
                    + " are on the topic");
        }
        long badVectors = 0;
        for (double[] v : vectors) {
            boolean bad = v.length != featureNames.size();
            for (int i = 0; !bad && i < v.length; i++) {
                bad = !Double.isFinite(v[i]);
            }
            if (bad) {
                badVectors++;
            }
        }
        if (badVectors > 0) {
            problems.add(badVectors + " feature vectors have the wrong length or non-finite values");
        }
        DataContract.Column label = contract.columnsByName().get(contract.label());
        long badLabels = 0;
        for (String l : labels) {
            if (label != null && label.allowed() != null && !label.allowed().contains(l)) {
                badLabels++;
            }
        }
        if (badLabels > 0) {
            problems.add(badLabels + " rows have a label outside " + label.allowed());
        }
        return new Result(problems.isEmpty(), problems);
    }
}
