package dev.agentmesh.assessment;

import dev.agentmesh.contract.DataContract;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.features.FeatureEncoder;
import dev.agentmesh.features.FeatureSchema;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Candidate;
import dev.agentmesh.gate.Verdict;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each specialist's arithmetic against values worked out by hand (the working is in the comments). */
class SpecialistComputationsTest {

    static final double EPS = 1e-6;

    @Test
    void psiOfNumbersBinnedAtTheReferenceQuantiles() {
        // Two bins split at the reference's median 6: reference 0.5 | 0.5, current 0.8 | 0.2.
        // (0.8-0.5) ln(0.8/0.5) + (0.2-0.5) ln(0.2/0.5) = 0.141001 + 0.274887
        double[] reference = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        double[] current = {1, 1, 1, 1, 1, 1, 1, 1, 6, 6};
        assertEquals(0.415888, DatasetShift.psi(reference, current, 2), EPS);
        assertEquals(0.0, DatasetShift.psi(reference, reference.clone(), 10), EPS);
    }

    @Test
    void psiOfCategoriesWithAnEmptyBinFloored() {
        // (0.25-0.5) ln(0.25/0.5) + (0.75-0.5) ln(0.75/0.5) = 0.173287 + 0.101366
        assertEquals(0.274653, DatasetShift.psi(Map.of("a", 50L, "b", 50L), Map.of("a", 25L, "b", 75L)), EPS);
        // b vanishes: (1e-4 - 0.5) ln(1e-4/0.5) + (1 - 0.5) ln(1/0.5) = 4.257745 + 0.346574
        assertEquals(4.604319, DatasetShift.psi(Map.of("a", 1L, "b", 1L), Map.of("a", 2L)), 1e-5);
    }

    @Test
    void subgroupGapsInPositiveRateAndTruePositiveRate() {
        // A: predicted T T F F, actual T F T F -> positive rate 2/4, TPR 1/2
        // B: predicted T F F F, actual T T T F -> positive rate 1/4, TPR 1/3
        // C: 2 rows, below the minimum group size 3: shown but not judged.
        String[] group = {"A", "A", "A", "A", "B", "B", "B", "B", "C", "C"};
        boolean[] predicted = {true, true, false, false, true, false, false, false, true, true};
        boolean[] actual = {true, false, true, false, true, true, true, false, false, false};
        Subgroups.Gaps gaps = Subgroups.gaps("attr", group, predicted, actual, 3);
        assertEquals(0.25, gaps.positiveRateGap(), EPS);
        assertEquals(0.5 - 1.0 / 3, gaps.truePositiveRateGap(), EPS);
        assertEquals("B", gaps.lowestPositiveRate());
        assertEquals("A", gaps.highestPositiveRate());
        assertEquals(3, gaps.groups().size());
        assertEquals(1.0, gaps.groups().get(2).positiveRate(), EPS);
    }

    @Test
    void numericAttributesFallIntoBands() {
        double[] edges = {25, 40, 60};
        assertEquals("<25", Subgroups.band(24.9, edges));
        assertEquals("25-40", Subgroups.band(25, edges));
        assertEquals("40-60", Subgroups.band(59, edges));
        assertEquals(">=60", Subgroups.band(60, edges));
    }

    @Test
    void classifierMetricsByHand() {
        // Positives score 0.35 and 0.8, negatives 0.1 and 0.4: 3 of the 4 positive-negative pairs are ordered right.
        assertEquals(0.75, ClassifierMetrics.auc(new double[]{0.1, 0.4, 0.35, 0.8}, new boolean[]{false, false, true, true}), EPS);
        assertEquals(0.5, ClassifierMetrics.auc(new double[]{0.5, 0.5}, new boolean[]{true, false}), EPS);
        // (-ln 0.8 - ln 0.7) / 2
        ClassifierMetrics m = ClassifierMetrics.of(new double[]{0.8, 0.3}, new boolean[]{true, false});
        assertEquals(0.289909, m.logLoss(), EPS);
        assertEquals(1.0, m.accuracy(), EPS);
    }

    @Test
    void modelQualityBlocksARegressionAndHandlesTheFirstRun() {
        ModelQuality.Thresholds t = new ModelQuality.Thresholds(0.02, 0.02, 0.6);
        AssessmentReturned worse = ModelQuality.judge(new ClassifierMetrics(100, 0.55, 0.70, 0.7),
                new ClassifierMetrics(100, 0.50, 0.78, 0.75), t, Map.of());
        assertEquals(Verdict.BLOCK, worse.getVerdict());
        assertEquals(0.05, worse.getMetrics().get("log-loss.regression"), EPS);
        assertEquals(0.08, worse.getMetrics().get("auc.drop"), EPS);
        AssessmentReturned slightly = ModelQuality.judge(new ClassifierMetrics(100, 0.51, 0.775, 0.7),
                new ClassifierMetrics(100, 0.50, 0.78, 0.75), t, Map.of());
        assertEquals(Verdict.CONCERN, slightly.getVerdict());
        AssessmentReturned first = ModelQuality.judge(new ClassifierMetrics(100, 0.5, 0.70, 0.7), null, t, Map.of());
        assertEquals(Verdict.APPROVE, first.getVerdict());
        assertTrue(first.getSummary().startsWith("first deployment"), first.getSummary());
        assertEquals(Verdict.BLOCK, ModelQuality.judge(new ClassifierMetrics(100, 0.69, 0.55, 0.5), null, t, Map.of()).getVerdict());
    }

    @Test
    void costIsLatencyTimesTrafficTimesPrice() {
        // 50 us x 100 req/s = 0.005 CPU s per s; x 2,592,000 s a month = 12,960 s = 3.6 CPU h; x 0.05 = 0.18
        Candidate c = new Candidate("cell", "file:/m", "sha256:x", 0.5, 50.0, "credit-g", "file:/d/");
        AssessmentReturned within = CostProjection.assess(c, new CostProjection.Settings(100, 0.05, 1.0, 0.8));
        assertEquals(3.6, within.getMetrics().get("cpu-hours-per-month"), EPS);
        assertEquals(0.18, within.getMetrics().get("cost-per-month"), EPS);
        assertEquals(Verdict.APPROVE, within.getVerdict());
        assertEquals(Verdict.CONCERN, CostProjection.assess(c, new CostProjection.Settings(100, 0.05, 0.2, 0.8)).getVerdict());
        assertEquals(Verdict.BLOCK, CostProjection.assess(c, new CostProjection.Settings(100, 0.05, 0.1, 0.8)).getVerdict());
    }

    @Test
    void riskFairnessBlocksOnShiftOrGapPastTheThresholds() {
        RiskFairness.Thresholds t = new RiskFairness.Thresholds(0.1, 0.25, 0.1, 0.2, 3, new double[]{25, 40, 60});
        Subgroups.Gaps small = new Subgroups.Gaps("region", List.of(), 0.05, 0.02, "a", "b");
        assertEquals(Verdict.APPROVE, RiskFairness.judge(Map.of("amount", 0.02), List.of(small), t, Map.of()).getVerdict());
        assertEquals(Verdict.CONCERN, RiskFairness.judge(Map.of("amount", 0.15), List.of(small), t, Map.of()).getVerdict());
        AssessmentReturned shifted = RiskFairness.judge(Map.of("amount", 0.4), List.of(small), t, Map.of());
        assertEquals(Verdict.BLOCK, shifted.getVerdict());
        assertTrue(shifted.getSummary().contains("PSI amount 0.400"), shifted.getSummary());
        Subgroups.Gaps wide = new Subgroups.Gaps("region", List.of(), 0.3, 0.02, "north", "south");
        AssessmentReturned unfair = RiskFairness.judge(Map.of(), List.of(wide), t, Map.of());
        assertEquals(Verdict.BLOCK, unfair.getVerdict());
        assertTrue(unfair.getSummary().contains("positive-rate gap region 0.300 (north vs south)"), unfair.getSummary());
    }

    @Test
    void aContractsFairnessSectionSetsItsOwnGapThresholdsAndBandsOverTheServicesDefaults() {
        RiskFairness.Thresholds defaults = new RiskFairness.Thresholds(0.1, 0.25, 0.15, 0.3, 30, new double[]{25, 40, 60});
        DataContract clinic = DataContract.read(new ByteArrayInputStream(("name: clinic\nversion: 1\nlabel: Outcome\n"
                + "sensitive: [Age, Sex]\nfairness: {gap_block: 0.5, bands: {Age: [30, 50]}}\ncolumns:\n"
                + "  - {name: Age, type: integer, required: true}\n  - {name: Sex, type: category, required: true, allowed: [F, M]}\n"
                + "  - {name: Outcome, type: category, required: true, allowed: ['0', '1']}\n").getBytes(StandardCharsets.UTF_8)));
        RiskFairness.Thresholds t = defaults.forContract(clinic);
        assertEquals(0.5, t.gapBlock(), "the contract's own");
        assertEquals(0.15, t.gapConcern(), "the service's default where the contract says nothing");
        assertEquals(30, t.minGroupSize());
        assertArrayEquals(new double[]{30, 50}, t.bandsOf(clinic, "Age"));
        assertArrayEquals(new double[]{25, 40, 60}, t.bandsOf(clinic, "Other"));
        Subgroups.Gaps expected = new Subgroups.Gaps("Age", List.of(), 0.4, 0.02, "21-30", "50+");
        assertEquals(Verdict.BLOCK, RiskFairness.judge(Map.of(), List.of(expected), defaults, Map.of()).getVerdict());
        assertEquals(Verdict.CONCERN, RiskFairness.judge(Map.of(), List.of(expected), t, Map.of()).getVerdict(),
                "a gap this data is known to have is a concern, not a block");
        assertEquals(defaults, defaults.forContract(DataContract.load("credit-g")), "no fairness section: the defaults");
    }

    @Test
    void aMissingSensitiveNumberIsAGroupOfItsOwnNotTheBandOfTheMeanItWasGiven() {
        DataContract clinic = DataContract.read(new ByteArrayInputStream(("name: clinic\nversion: 1\nlabel: Outcome\n"
                + "sensitive: [Age]\nmissing_values: ['NA']\ncolumns:\n"
                + "  - {name: Age, type: integer, required: false}\n  - {name: Glucose, type: number, required: true}\n"
                + "  - {name: Outcome, type: category, required: true, allowed: ['0', '1']}\n").getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("Age", FeatureSchema.missingIndicator("Age"), "Glucose"), FeatureSchema.expectedNames(clinic),
                "an optional number carries an indicator; a required one does not");
        // without the indicator the NA row would read back as the training mean of the ages present, inside a band
        List<FeatureEncoder.Row> rows = List.of(
                new FeatureEncoder.Row(0, Map.of("Age", "20", "Glucose", "1", "Outcome", "0")),
                new FeatureEncoder.Row(1, Map.of("Age", "30", "Glucose", "2", "Outcome", "1")),
                new FeatureEncoder.Row(2, Map.of("Age", "40", "Glucose", "3", "Outcome", "0")),
                new FeatureEncoder.Row(3, Map.of("Age", "NA", "Glucose", "4", "Outcome", "1")));
        FeatureEncoder.Result encoded = new FeatureEncoder(clinic).encode(rows);
        RawColumns columns = new RawColumns(clinic, encoded.schema().standardisation());
        double[] bands = {25, 40, 60};
        List<String> groups = encoded.rows().stream()
                .map(e -> new DatasetRow(e.rowIndex(), e.split(), e.label(), Arrays.stream(e.features()).boxed().toList()))
                .map(r -> RiskFairness.subgroup(columns, r, "Age", bands)).toList();
        assertEquals(List.of("<25", "25-40", "40-60", RawColumns.MISSING), groups);
        FeatureEncoder.Encoded missing = encoded.rows().get(3);
        assertEquals(1.0, missing.features()[1], "the indicator is set where the value was missing");
        assertEquals(0.0, encoded.rows().get(0).features()[1]);
    }
}
