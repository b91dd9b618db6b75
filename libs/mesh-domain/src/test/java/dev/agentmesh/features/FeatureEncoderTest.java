package dev.agentmesh.features;

import dev.agentmesh.contract.CsvRows;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.data.Split;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class FeatureEncoderTest {

    static final Path CREDIT_G = Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"), "credit-g.csv");
    final DataContract contract = DataContract.load("credit-g");

    List<FeatureEncoder.Row> creditRows() {
        List<Map<String, String>> rows = CsvRows.read(CREDIT_G).rows();
        List<FeatureEncoder.Row> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            out.add(new FeatureEncoder.Row(i, rows.get(i)));
        }
        return out;
    }

    @Test
    void schemaIsOneHotPerAllowedValueAndOneColumnPerNumber() {
        List<String> names = FeatureSchema.expectedNames(contract);
        // 13 category columns with 4+5+10+5+5+4+3+4+3+3+4+2+2 = 54 values, 7 numeric columns, label excluded.
        assertEquals(54 + 7, names.size());
        assertEquals("checking_status=<0", names.get(0));
        assertTrue(names.contains("age"));
        assertFalse(names.stream().anyMatch(n -> n.startsWith("class")));
    }

    @Test
    void standardisationUsesTheTrainingSplitOnly() {
        List<FeatureEncoder.Row> rows = creditRows();
        FeatureEncoder.Result result = new FeatureEncoder(contract).encode(rows);
        SplitRule rule = SplitRule.of(contract);
        double sum = 0;
        int n = 0;
        double allSum = 0;
        for (FeatureEncoder.Row r : rows) {
            double age = Double.parseDouble(r.values().get("age"));
            allSum += age;
            if (rule.assign(r.rowIndex()) == Split.TRAIN) {
                sum += age;
                n++;
            }
        }
        double trainMean = sum / n;
        assertEquals(trainMean, result.schema().standardisation().get("age")[0], 1e-9);
        assertNotEquals(allSum / rows.size(), result.schema().standardisation().get("age")[0], 1e-6,
                "the mean over all rows would leak validation and test");
        int ageIndex = result.schema().names().indexOf("age");
        double meanOfTrainFeatures = result.rows().stream().filter(e -> e.split() == Split.TRAIN)
                .mapToDouble(e -> e.features()[ageIndex]).average().orElseThrow();
        assertEquals(0.0, meanOfTrainFeatures, 1e-9, "standardised training feature has mean 0");
    }

    @Test
    void oneHotHasExactlyOneOnePerCategoryColumn() {
        FeatureEncoder.Result result = new FeatureEncoder(contract).encode(creditRows().subList(0, 50));
        List<String> names = result.schema().names();
        for (FeatureEncoder.Encoded e : result.rows()) {
            double purposeOnes = 0;
            for (int i = 0; i < names.size(); i++) {
                if (names.get(i).startsWith("purpose=")) {
                    purposeOnes += e.features()[i];
                }
            }
            assertEquals(1.0, purposeOnes);
        }
        assertEquals("good", result.rows().get(0).label());
    }

    @Test
    void splitIsStableAndNearItsFractions() {
        SplitRule rule = SplitRule.of(contract);
        long train = 0;
        long validation = 0;
        for (long i = 0; i < 10_000; i++) {
            Split s = rule.assign(i);
            assertEquals(s, rule.assign(i));
            train += s == Split.TRAIN ? 1 : 0;
            validation += s == Split.VALIDATION ? 1 : 0;
        }
        assertEquals(0.70, train / 10_000.0, 0.02);
        assertEquals(0.15, validation / 10_000.0, 0.02);
    }
}
