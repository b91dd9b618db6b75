package dev.agentmesh.features;

import dev.agentmesh.contract.DataContract;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class FeatureCheckTest {

    final DataContract contract = DataContract.load("credit-g");
    final List<String> names = FeatureSchema.expectedNames(contract);

    List<double[]> vectors(int n) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new double[names.size()]);
        }
        return out;
    }

    @Test
    void aMatchingCompleteFeatureTablePasses() {
        var result = FeatureCheck.check(contract, names, new FeatureCheck.Counts(10, 2, 8, 8), vectors(8),
                List.of("good", "bad", "good", "good", "good", "bad", "good", "good"));
        assertTrue(result.passed(), result.summary());
    }

    @Test
    void aSchemaThatBreaksTheContractFails() {
        List<String> broken = new ArrayList<>(names);
        broken.remove("age");
        broken.add("zodiac");
        var result = FeatureCheck.check(contract, broken, new FeatureCheck.Counts(1, 0, 1, 1),
                List.of(new double[broken.size()]), List.of("good"));
        assertFalse(result.passed());
        assertTrue(result.summary().contains("missing [age], unexpected [zodiac]"), result.summary());
    }

    @Test
    void lostRowsFailCompleteness() {
        var result = FeatureCheck.check(contract, names, new FeatureCheck.Counts(10, 1, 9, 8), vectors(8),
                List.of("good", "good", "good", "good", "good", "good", "good", "good"));
        assertFalse(result.passed());
        assertTrue(result.summary().contains("completeness: rows in 10 != feature rows 8 + rows rejected 1"), result.summary());
        assertTrue(result.summary().contains("reported 9 rows but 8 are on the topic"), result.summary());
    }

    @Test
    void nonFiniteValuesAndUnknownLabelsFail() {
        double[] nan = new double[names.size()];
        nan[3] = Double.NaN;
        var result = FeatureCheck.check(contract, names, new FeatureCheck.Counts(2, 0, 2, 2),
                List.of(nan, new double[names.size() - 1]), List.of("good", "maybe"));
        assertEquals(2, result.problems().size(), result.summary());
        assertTrue(result.summary().contains("2 feature vectors"));
        assertTrue(result.summary().contains("1 rows have a label outside"));
    }
}
