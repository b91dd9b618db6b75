package dev.agentmesh.assessment;

import dev.agentmesh.contract.DataContract;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.data.Split;
import dev.agentmesh.features.FeatureStats;
import dev.agentmesh.features.FeatureSchema;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Candidate;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.team.GatePolicy;
import dev.agentmesh.team.Specialists;
import dev.agentmesh.training.ModelRegistry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Dataset shift and subgroup fairness. Shift: PSI per contract column between the dataset the production model was
 * trained on and the candidate's. Fairness: the candidate's positive rate and true-positive rate per subgroup of each
 * sensitive attribute (numeric ones in bands, rows whose value was missing in a group of their own), on the held-out
 * rows (validation and test).
 */
public final class RiskFairness {

    public record Thresholds(double psiConcern, double psiBlock, double gapConcern, double gapBlock, int minGroupSize,
                             double[] bands) {

        /** These thresholds with what the contract's fairness section sets instead. */
        public Thresholds forContract(DataContract contract) {
            DataContract.Fairness f = contract.fairness();
            if (f == null) {
                return this;
            }
            return new Thresholds(psiConcern, psiBlock, f.gapConcern() != null ? f.gapConcern() : gapConcern,
                    f.gapBlock() != null ? f.gapBlock() : gapBlock, f.minGroupSize() != null ? f.minGroupSize() : minGroupSize,
                    bands);
        }

        /** The bands a numeric attribute is cut into: the contract's for that attribute, else the service's. */
        public double[] bandsOf(DataContract contract, String attribute) {
            List<Double> own = contract.fairness() == null || contract.fairness().bands() == null ? null
                    : contract.fairness().bands().get(attribute);
            return own == null ? bands : own.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    private RiskFairness() {
    }

    public static AssessmentReturned assess(Candidate candidate, ModelRegistry registry, Thresholds defaults) {
        DataContract contract = DataContract.load(candidate.getContract());
        Thresholds t = defaults.forContract(contract);
        RawColumns current = new RawColumns(contract, FeatureStats.read(candidate.getDatasetLocation()));
        List<DatasetRow> currentRows = allRows(candidate.getDatasetLocation());
        Map<String, String> evidence = new TreeMap<>();
        Map<String, Double> psi = new TreeMap<>();
        Optional<ModelRegistry.AliasTarget> reference = registry.alias(candidate.getContract(), GatePolicy.PRODUCTION_ALIAS)
                .filter(p -> p.datasetLocation() != null && !p.datasetLocation().equals(candidate.getDatasetLocation()));
        if (reference.isPresent()) {
            String location = reference.get().datasetLocation();
            RawColumns before = new RawColumns(contract, FeatureStats.read(location));
            psi = shift(contract, before, allRows(location), current, currentRows);
            evidence.put("shift.reference", location + " (dataset of production model, run " + reference.get().runId() + ")");
        } else {
            evidence.put("shift.reference", "none: no production model for " + contract.name() + ", shift not measured");
        }
        List<DatasetRow> heldOut = new ArrayList<>(Scoring.split(candidate.getDatasetLocation(), Split.VALIDATION));
        heldOut.addAll(Scoring.split(candidate.getDatasetLocation(), Split.TEST));
        double[] p = Scoring.positiveProbabilities(ModelRegistry.load(candidate.getCheckpoint(), candidate.getCheckpointChecksum()),
                FeatureSchema.expectedNames(contract), heldOut, contract.positiveLabel());
        boolean[] predicted = new boolean[p.length];
        for (int i = 0; i < p.length; i++) {
            predicted[i] = p[i] >= 0.5;
        }
        boolean[] actual = Scoring.positives(heldOut, contract.positiveLabel());
        List<Subgroups.Gaps> gaps = new ArrayList<>();
        List<String> sensitive = contract.sensitive() == null ? List.of() : contract.sensitive();
        for (String attribute : sensitive) {
            double[] bands = t.bandsOf(contract, attribute);
            String[] groups = heldOut.stream().map(r -> subgroup(current, r, attribute, bands)).toArray(String[]::new);
            gaps.add(Subgroups.gaps(attribute, groups, predicted, actual, t.minGroupSize()));
            if (current.numeric(attribute)) {
                evidence.put("subgroups.bands." + attribute, Arrays.toString(bands));
            }
        }
        if (sensitive.isEmpty()) {
            evidence.put("subgroups", "not assessed: contract " + contract.name() + " declares no sensitive attribute");
        } else {
            evidence.put("subgroups.rows", "validation + test split of " + candidate.getDatasetLocation() + " (" + heldOut.size() + " rows)");
        }
        AssessmentReturned judged = judge(psi, gaps, t, evidence);
        if (sensitive.isEmpty()) {
            judged.setSummary("fairness not assessed: contract " + contract.name() + " declares no sensitive attribute; "
                    + judged.getSummary());
        }
        return judged;
    }

    /** A row's subgroup of a sensitive attribute: its category, its numeric band, or {@link RawColumns#MISSING}. */
    public static String subgroup(RawColumns columns, DatasetRow row, String attribute, double[] bands) {
        if (!columns.numeric(attribute)) {
            return columns.value(row, attribute);
        }
        return columns.missing(row, attribute) ? RawColumns.MISSING : Subgroups.band(columns.number(row, attribute), bands);
    }

    /** PSI per contract column (label and free text excluded) between two datasets of one contract. */
    public static Map<String, Double> shift(DataContract contract, RawColumns before, List<DatasetRow> beforeRows,
                                            RawColumns after, List<DatasetRow> afterRows) {
        Map<String, Double> psi = new TreeMap<>();
        for (DataContract.Column column : contract.columns()) {
            if (column.name().equals(contract.label())) {
                continue;
            }
            if (before.numeric(column.name())) {
                // over the values present: an imputed mean is not a measurement
                double[] was = beforeRows.stream().filter(r -> !before.missing(r, column.name()))
                        .mapToDouble(r -> before.number(r, column.name())).toArray();
                double[] is = afterRows.stream().filter(r -> !after.missing(r, column.name()))
                        .mapToDouble(r -> after.number(r, column.name())).toArray();
                if (was.length > 0 && is.length > 0) {
                    psi.put(column.name(), DatasetShift.psi(was, is, 10));
                }
            } else if (before.category(column.name())) {
                psi.put(column.name(), DatasetShift.psi(
                        beforeRows.stream().collect(Collectors.groupingBy(r -> before.value(r, column.name()), Collectors.counting())),
                        afterRows.stream().collect(Collectors.groupingBy(r -> after.value(r, column.name()), Collectors.counting()))));
            }
        }
        return psi;
    }

    public static AssessmentReturned judge(Map<String, Double> psi, List<Subgroups.Gaps> gaps, Thresholds t,
                                           Map<String, String> evidence) {
        Map<String, Double> metrics = new TreeMap<>();
        psi.forEach((c, v) -> metrics.put(Specialists.Metrics.PSI_PREFIX + c, v));
        if (!psi.isEmpty()) { // what the shift is judged against, for whoever draws it
            metrics.put(Specialists.Metrics.PSI_CONCERN, t.psiConcern());
            metrics.put(Specialists.Metrics.PSI_BLOCK, t.psiBlock());
        }
        for (Subgroups.Gaps g : gaps) {
            metrics.put("gap.positive-rate." + g.attribute(), g.positiveRateGap());
            metrics.put("gap.tpr." + g.attribute(), g.truePositiveRateGap());
            for (Subgroups.Group group : g.groups()) {
                String key = "group." + g.attribute() + "=" + group.name();
                metrics.put(key + ".n", (double) group.n());
                metrics.put(key + ".positive-rate", group.positiveRate());
                if (!Double.isNaN(group.truePositiveRate())) {
                    metrics.put(key + ".tpr", group.truePositiveRate());
                }
            }
        }
        List<String> blocks = new ArrayList<>();
        List<String> concerns = new ArrayList<>();
        psi.forEach((column, v) -> classify(v, t.psiConcern(), t.psiBlock(), blocks, concerns,
                String.format(Locale.ROOT, "PSI %s %.3f", column, v)));
        for (Subgroups.Gaps g : gaps) {
            classify(g.positiveRateGap(), t.gapConcern(), t.gapBlock(), blocks, concerns, String.format(Locale.ROOT,
                    "positive-rate gap %s %.3f (%s vs %s)", g.attribute(), g.positiveRateGap(), g.lowestPositiveRate(),
                    g.highestPositiveRate()));
            classify(g.truePositiveRateGap(), t.gapConcern(), t.gapBlock(), blocks, concerns,
                    String.format(Locale.ROOT, "TPR gap %s %.3f", g.attribute(), g.truePositiveRateGap()));
        }
        Map<String, String> ev = new TreeMap<>(evidence);
        ev.put("thresholds", String.format(Locale.ROOT, "PSI concern %.2f block %.2f; gap concern %.2f block %.2f; groups of >= %d rows",
                t.psiConcern(), t.psiBlock(), t.gapConcern(), t.gapBlock(), t.minGroupSize()));
        double maxPsi = psi.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
        double maxGap = gaps.stream().mapToDouble(g -> Math.max(g.positiveRateGap(), g.truePositiveRateGap())).max().orElse(0);
        String numbers = String.format(Locale.ROOT, "max PSI %.3f, max subgroup gap %.3f", maxPsi, maxGap);
        if (!blocks.isEmpty()) {
            return new AssessmentReturned(Specialists.RISK_FAIRNESS, Verdict.BLOCK, numbers + "; past block: "
                    + String.join(", ", blocks), metrics, ev);
        }
        if (!concerns.isEmpty()) {
            return new AssessmentReturned(Specialists.RISK_FAIRNESS, Verdict.CONCERN, numbers + "; past concern: "
                    + String.join(", ", concerns), metrics, ev);
        }
        return new AssessmentReturned(Specialists.RISK_FAIRNESS, Verdict.APPROVE, numbers + "; within thresholds", metrics, ev);
    }

    private static void classify(double value, double concern, double block, List<String> blocks, List<String> concerns,
                                 String what) {
        if (value >= block) {
            blocks.add(what);
        } else if (value >= concern) {
            concerns.add(what);
        }
    }

    private static List<DatasetRow> allRows(String location) {
        List<DatasetRow> rows = new ArrayList<>();
        for (Split split : Split.values()) {
            rows.addAll(Scoring.split(location, split));
        }
        return rows;
    }
}
