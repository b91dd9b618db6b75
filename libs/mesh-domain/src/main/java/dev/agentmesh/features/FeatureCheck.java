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
        Rows rows = new Rows(contract, featureNames.size());
        vectors.forEach(rows::vector);
        labels.forEach(rows::label);
        return check(contract, featureNames, counts, rows);
    }

    /** The per-row part of the check, one row at a time, so a run of any size is checked in bounded memory. */
    public static final class Rows {
        private final int width;
        private final List<String> allowedLabels;
        private long badVectors;
        private long badLabels;
        private long seen;

        public Rows(DataContract contract, int width) {
            this.width = width;
            DataContract.Column label = contract.columnsByName().get(contract.label());
            this.allowedLabels = label == null ? null : label.allowed();
        }

        public void add(double[] vector, String label) {
            vector(vector);
            label(label);
            seen++;
        }

        public long seen() {
            return seen;
        }

        void vector(double[] v) {
            boolean bad = v.length != width;
            for (int i = 0; !bad && i < v.length; i++) {
                bad = !Double.isFinite(v[i]);
            }
            if (bad) {
                badVectors++;
            }
        }

        void label(String l) {
            if (allowedLabels != null && !allowedLabels.contains(l)) {
                badLabels++;
            }
        }
    }

    public static Result check(DataContract contract, List<String> featureNames, Counts counts, Rows rows) {
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
        if (rows.badVectors > 0) {
            problems.add(rows.badVectors + " feature vectors have the wrong length or non-finite values");
        }
        if (rows.badLabels > 0) {
            problems.add(rows.badLabels + " rows have a label outside " + rows.allowedLabels);
        }
        return new Result(problems.isEmpty(), problems);
    }
}
