package dev.agentmesh.contract;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RowValidatorTest {

    static final Path CREDIT_G = Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"), "credit-g.csv");

    final RowValidator validator = new RowValidator(DataContract.load("credit-g"));

    @Test
    void everyRowOfTheRealCreditDataSatisfiesItsContract() {
        assertTrue(Files.exists(CREDIT_G), "expected ../shared/data beside the repo: " + CREDIT_G.toAbsolutePath());
        CsvRows.Table table = CsvRows.read(CREDIT_G);
        assertEquals(1000, table.rows().size());
        assertEquals(List.of(), validator.headerProblems(new HashSet<>(table.header())));
        for (int i = 0; i < table.rows().size(); i++) {
            assertEquals(List.of(), validator.validate(table.rows().get(i)), "row " + i);
        }
    }

    @Test
    void plantedBadFieldsAreEachReportedByName() {
        Map<String, String> row = new LinkedHashMap<>(CsvRows.read(CREDIT_G).rows().get(0));
        row.put("age", "-3");
        row.put("purpose", "yacht");
        row.put("duration", "six");
        row.put("class", "");
        List<RowViolation> violations = validator.validate(row);
        assertEquals(4, violations.size(), violations.toString());
        assertEquals(List.of("duration", "purpose", "age", "class"), violations.stream().map(RowViolation::field).toList());
        assertTrue(violations.get(0).reason().contains("not an integer"));
        assertTrue(violations.get(1).reason().contains("'yacht' is not one of"));
        assertEquals("a sensitive value is below the minimum 18.0", violations.get(2).reason(),
                "age is sensitive in credit-g's contract: its value is not quoted");
        assertEquals("required but missing", violations.get(3).reason());
    }

    @Test
    void aSensitiveColumnsValueIsNeverQuotedInAViolation() {
        Map<String, String> row = new LinkedHashMap<>(CsvRows.read(CREDIT_G).rows().get(0));
        row.put("age", "sixty-seven");
        row.put("personal_status", "secret status");
        row.put("duration", "six");
        List<RowViolation> violations = validator.validate(row);
        assertEquals("'six' is not an integer", violations.stream().filter(v -> v.field().equals("duration")).findFirst()
                .orElseThrow().reason(), "a column that is not sensitive is quoted");
        for (RowViolation v : violations) {
            assertFalse(v.reason().contains("sixty") || v.reason().contains("secret"), v.toString());
        }
        assertEquals(List.of("a sensitive value is not one of"), violations.stream().filter(v -> v.field().equals("personal_status"))
                .map(v -> v.reason().substring(0, v.reason().indexOf(" ["))).toList());
        assertEquals("a sensitive value is not an integer", violations.stream().filter(v -> v.field().equals("age"))
                .findFirst().orElseThrow().reason());
        row.put("age", "101");
        assertTrue(validator.validate(row).stream().filter(v -> v.field().equals("age"))
                .allMatch(v -> v.reason().equals("a sensitive value is above the maximum 100.0")));
    }

    @Test
    void headerMismatchIsReported() {
        assertEquals(List.of("missing column 'class'", "unexpected column 'klass'"),
                validator.headerProblems(new HashSet<>(List.of("checking_status", "duration", "credit_history", "purpose",
                        "credit_amount", "savings_status", "employment", "installment_commitment", "personal_status",
                        "other_parties", "residence_since", "property_magnitude", "age", "other_payment_plans", "housing",
                        "existing_credits", "job", "num_dependents", "own_telephone", "foreign_worker", "klass"))));
    }

    @Test
    void contractNamingAnUnknownLabelIsRefused() {
        String yaml = "name: bad\nversion: 1\nlabel: nope\ncolumns:\n  - {name: a, type: integer, required: true}\n";
        var e = assertThrows(IllegalArgumentException.class,
                () -> DataContract.read(new java.io.ByteArrayInputStream(yaml.getBytes())));
        assertTrue(e.getMessage().contains("label 'nope' is not a column"), e.getMessage());
    }

    @Test
    void aFieldOutsideTheContractIsAViolationBesideTheColumnsOwn() {
        Map<String, String> row = new LinkedHashMap<>(CsvRows.read(CREDIT_G).rows().get(0));
        row.put("favourite_colour", "blue");
        row.remove("age");
        List<RowViolation> violations = validator.validate(row);
        assertEquals(List.of(new RowViolation("favourite_colour", "not in contract credit-g"),
                new RowViolation("age", "required but missing")), violations);
    }

    @Test
    void theContractsUniqueKeyRejectsEveryLaterRowWithAKeyAlreadySeen() {
        RowValidator.UniqueKeys keys = new RowValidator.UniqueKeys(DataContract.load("transactions"));
        assertNull(keys.check(Map.of("txn_id", "t-1"), 0));
        assertNull(keys.check(Map.of("txn_id", "t-2"), 1));
        assertEquals(new RowViolation("txn_id", "duplicate key 't-1' (first seen at row 0)"), keys.check(Map.of("txn_id", " t-1 "), 2));
        assertEquals(new RowViolation("txn_id", "duplicate key 't-1' (first seen at row 0)"), keys.check(Map.of("txn_id", "t-1"), 3));
        assertNull(keys.check(Map.of("amount", "1"), 4), "a missing key is the column's own violation, not a duplicate");
        RowValidator.UniqueKeys none = new RowValidator.UniqueKeys(DataContract.load("credit-g"));
        assertNull(none.check(Map.of("age", "30"), 0));
        assertNull(none.check(Map.of("age", "30"), 1), "credit-g has no key column");
    }

    @Test
    void contractNamingAnUnknownKeyIsRefused() {
        String yaml = "name: bad\nversion: 1\nkey: id\ncolumns:\n  - {name: a, type: integer, required: true}\n";
        var e = assertThrows(IllegalArgumentException.class,
                () -> DataContract.read(new java.io.ByteArrayInputStream(yaml.getBytes())));
        assertTrue(e.getMessage().contains("key 'id' is not a column"), e.getMessage());
    }
}
