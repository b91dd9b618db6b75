package dev.agentmesh.contract;

import dev.agentmesh.data.Split;
import dev.agentmesh.features.FeatureEncoder;
import dev.agentmesh.features.FeatureSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A contract drafted from a user's own CSV, and a source checked against a contract before any run. */
class ContractDraftTest {

    static final Path CREDIT_G = Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"), "credit-g.csv");

    @TempDir
    Path dir;

    /** A small medical-style dataset that is not in the repository: counts, measurements, a sex, an age, a 0/1 outcome. */
    Path clinic(int rows) throws IOException {
        Random random = new Random(3);
        List<String> lines = new ArrayList<>(List.of("Pregnancies,Glucose,BMI,Sex,Age,Outcome"));
        for (int i = 0; i < rows; i++) {
            lines.add(random.nextInt(10) + "," + (70 + random.nextInt(130)) + "," + (18 + random.nextInt(250) / 10.0) + ","
                    + (random.nextBoolean() ? "F" : "M") + "," + (21 + random.nextInt(60)) + "," + random.nextInt(2));
        }
        Path file = dir.resolve("clinic.csv");
        Files.write(file, lines);
        return file;
    }

    static DataContract parse(String yaml) {
        return DataContract.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aDraftFromAUsersOwnFileIsAContractThatAcceptsEveryRowOfIt() throws IOException {
        Path file = clinic(300);
        DataContract contract = parse(ContractDraft.infer(file, "clinic"));

        assertEquals("clinic", contract.name());
        assertEquals("Outcome", contract.label(), "a column named like a label");
        assertEquals("1", contract.positiveLabel());
        assertEquals(List.of("Pregnancies", "Sex", "Age"), contract.sensitive(), "candidates for a person to confirm");
        var columns = contract.columnsByName();
        assertEquals(DataContract.Type.INTEGER, columns.get("Glucose").type());
        assertEquals(DataContract.Type.NUMBER, columns.get("BMI").type());
        assertEquals(DataContract.Type.CATEGORY, columns.get("Sex").type());
        assertEquals(List.of("F", "M"), columns.get("Sex").allowed());
        assertEquals(DataContract.Type.CATEGORY, columns.get("Outcome").type(), "a 0/1 label is a class");
        assertTrue(columns.get("Age").min() >= 21 && columns.get("Age").max() <= 80);

        SourceCheck check = SourceCheck.csv(file, contract, Long.MAX_VALUE);
        assertTrue(check.usable(), check.problems().toString());
        assertEquals(300, check.rows());
        assertEquals(300, check.valid(), check.examples().toString());
    }

    @Test
    void creditGsDraftFindsItsLabelAndSensitiveAttributes() {
        DataContract draft = parse(ContractDraft.infer(CREDIT_G, "credit-g-draft"));
        assertEquals("class", draft.label());
        assertTrue(draft.sensitive().containsAll(List.of("personal_status", "age", "foreign_worker")), draft.sensitive().toString());
        SourceCheck check = SourceCheck.csv(CREDIT_G, DataContract.load("credit-g"), Long.MAX_VALUE);
        assertTrue(check.usable());
        assertEquals(1000, check.rows());
        assertEquals(1000, check.valid());
    }

    @Test
    void whatWouldFailARunAtOnceIsFoundBeforeItIsTriggered() throws IOException {
        DataContract creditG = DataContract.load("credit-g");
        SourceCheck missing = SourceCheck.csv(dir.resolve("nope.csv"), creditG, 0);
        assertFalse(missing.usable());
        assertTrue(missing.problems().get(0).startsWith("no file "), missing.problems().toString());

        Path empty = Files.writeString(dir.resolve("empty.csv"), "");
        assertTrue(SourceCheck.csv(empty, creditG, 0).problems().get(0).contains("is empty"));

        Path headerOnly = Files.writeString(dir.resolve("header.csv"), Files.readAllLines(CREDIT_G).get(0) + "\n");
        assertEquals(List.of(headerOnly + " has a header but no rows"), SourceCheck.csv(headerOnly, creditG, 0).problems());

        SourceCheck wrong = SourceCheck.csv(clinic(5), creditG, 0);
        assertFalse(wrong.usable());
        assertTrue(wrong.problems().get(0).contains("does not match contract credit-g"), wrong.problems().toString());
        assertTrue(wrong.problems().get(0).contains("contracts infer"), "and says what to do");
    }

    @Test
    void rowsThatBreakTheContractAreCountedByColumnWithExamplesButDoNotMakeTheSourceUnusable() throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(CREDIT_G).subList(0, 11));
        String[] cells = lines.get(3).split(",", -1);
        cells[12] = "abc"; // age
        lines.set(3, String.join(",", cells));
        Path file = Files.write(dir.resolve("ten.csv"), lines);
        SourceCheck check = SourceCheck.csv(file, DataContract.load("credit-g"), Long.MAX_VALUE);
        assertTrue(check.usable());
        assertEquals(10, check.rows());
        assertEquals(9, check.valid());
        assertEquals(1L, check.violations().get("age"));
        assertTrue(check.examples().get(0).startsWith("row 2: "), check.examples().toString());

        SourceCheck firstOnly = SourceCheck.csv(file, DataContract.load("credit-g"), 0);
        assertEquals(1, firstOnly.rows(), "a check at the door reads one row");
    }

    /** An export that writes "no value" as NA or ?, as R, pandas and UCI's files do, in numbers, categories and the label. */
    @Test
    void cellsThatMeanNoValueAreDraftedAsMissingValidatedAsMissingAndTakeTheTrainingMean() throws IOException {
        List<String> lines = new ArrayList<>(List.of("Glucose,BMI,Smoker,Outcome"));
        for (int i = 0; i < 200; i++) {
            String glucose = i % 10 == 3 ? "NA" : String.valueOf(80 + i % 50);
            String bmi = i % 25 == 7 ? "?" : String.valueOf(20 + (i % 30) / 2.0);
            String smoker = i % 20 == 5 ? "?" : (i % 2 == 0 ? "yes" : "no");
            String outcome = i == 199 ? "NA" : String.valueOf(i % 3 == 0 ? 1 : 0);
            lines.add(glucose + "," + bmi + "," + smoker + "," + outcome);
        }
        Path file = dir.resolve("with-markers.csv");
        Files.write(file, lines);

        String draft = ContractDraft.infer(file, "markers");
        DataContract contract = parse(draft);
        assertEquals(List.of("?", "NA"), contract.missingValues(), draft);
        var columns = contract.columnsByName();
        assertEquals(DataContract.Type.INTEGER, columns.get("Glucose").type(), "NA does not make a number a string");
        assertFalse(columns.get("Glucose").required());
        assertEquals(DataContract.Type.NUMBER, columns.get("BMI").type());
        assertEquals(List.of("no", "yes"), columns.get("Smoker").allowed(), "? is not a category");
        assertTrue(columns.get("Outcome").required(), "a row without its label cannot train");

        SourceCheck check = SourceCheck.csv(file, contract, Long.MAX_VALUE);
        assertEquals(200, check.rows());
        assertEquals(199, check.valid(), "only the row without a label is rejected: " + check.examples());

        List<FeatureEncoder.Row> rows = new ArrayList<>();
        List<Map<String, String>> valid = CsvRows.read(file).rows().stream()
                .filter(r -> new RowValidator(contract).validate(r).isEmpty()).toList();
        for (int i = 0; i < valid.size(); i++) {
            rows.add(new FeatureEncoder.Row(i, valid.get(i)));
        }
        FeatureEncoder.Result result = new FeatureEncoder(contract).encode(rows);
        double[] glucose = result.schema().standardisation().get("Glucose");
        double sum = 0;
        int present = 0;
        for (int i = 0; i < valid.size(); i++) {
            if (!valid.get(i).get("Glucose").equals("NA") && result.rows().get(i).split() == Split.TRAIN) {
                sum += Double.parseDouble(valid.get(i).get("Glucose"));
                present++;
            }
        }
        double presentMean = sum / present;
        assertEquals(presentMean, glucose[0], 1e-9, "the mean is over the training rows that hold a value");
        int glucoseAt = result.schema().names().indexOf("Glucose");
        int glucoseMissingAt = result.schema().names().indexOf(FeatureSchema.missingIndicator("Glucose"));
        assertEquals(glucoseAt + 1, glucoseMissingAt, "an optional number is followed by its missing indicator");
        for (int i = 0; i < valid.size(); i++) {
            double feature = result.rows().get(i).features()[glucoseAt];
            double indicator = result.rows().get(i).features()[glucoseMissingAt];
            if (valid.get(i).get("Glucose").equals("NA")) {
                assertEquals(0.0, feature, "a missing value takes the training mean, 0 once standardised");
                assertEquals(1.0, indicator, "and says so");
            } else {
                assertTrue(Double.isFinite(feature));
                assertEquals(0.0, indicator);
            }
        }
    }
}
