package dev.agentmesh.review.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SensitiveFieldsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String ROW = """
            {"envelope": {"runId": "r1", "eventId": "e1"}, "rowIndex": 3,
             "values": {"age": {"string": "67"}, "personal_status": {"string": "male single"},
                        "duration": {"string": "abc"}, "job": null}}""";

    @Test
    void theContractsSensitiveColumnsAreMaskedAndTheOthersShown() throws Exception {
        String masked = SensitiveFields.mask(ROW, Set.of("age", "personal_status", "foreign_worker"));
        JsonNode values = JSON.readTree(masked).get("values");
        assertEquals(SensitiveFields.MASK, values.get("age").get("string").asText());
        assertEquals(SensitiveFields.MASK, values.get("personal_status").get("string").asText());
        assertEquals("abc", values.get("duration").get("string").asText());
        assertTrue(values.get("job").isNull());
        assertFalse(masked.contains("67") || masked.contains("male single"), masked);
        assertEquals("r1", JSON.readTree(masked).get("envelope").get("runId").asText(), "the envelope is untouched");
    }

    @Test
    void whatAReasonSaysOfASensitiveValueIsMaskedAndTheRestKept() {
        Set<String> sensitive = Set.of("age", "personal_status");
        assertEquals("row 3 violates the data contract: age: '***' is not an integer; duration: 'abc' is not an integer",
                SensitiveFields.maskReason("row 3 violates the data contract: age: '6x7' is not an integer; duration: 'abc' is not an integer", sensitive));
        assertEquals("age: *** is below the minimum 18.0", SensitiveFields.maskReason("age: 7.0 is below the minimum 18.0", sensitive));
        assertEquals("personal_status: '***' is not one of [male single, female div/dep/mar]",
                SensitiveFields.maskReason("personal_status: 'secret' is not one of [male single, female div/dep/mar]", sensitive));
        assertEquals("age: a sensitive value is not an integer", SensitiveFields.maskReason("age: a sensitive value is not an integer", sensitive),
                "what the row-validator writes now says nothing to mask");
        assertEquals("duration: '***' is not an integer", SensitiveFields.maskReason("duration: 'abc' is not an integer", SensitiveFields.ALL));
        assertEquals("the grants view could not learn the ends", SensitiveFields.maskReason("the grants view could not learn the ends", sensitive));
    }

    @Test
    void masksHideSomethingOnlyWhereASensitiveColumnHasAValue() {
        assertTrue(SensitiveFields.hidesAnything(ROW, Set.of("age")));
        assertFalse(SensitiveFields.hidesAnything(ROW, Set.of("job")), "a null value hides nothing");
        assertFalse(SensitiveFields.hidesAnything(ROW, Set.of()));
        assertFalse(SensitiveFields.hidesAnything("{\"runId\": \"r\"}", SensitiveFields.ALL), "not a row");
    }

    @Test
    void withoutAReadableContractEveryColumnIsMasked() throws Exception {
        JsonNode values = JSON.readTree(SensitiveFields.mask(ROW, SensitiveFields.ALL)).get("values");
        assertEquals(SensitiveFields.MASK, values.get("duration").get("string").asText());
        assertEquals(SensitiveFields.MASK, values.get("age").get("string").asText());
    }

    @Test
    void anEditThatLeavesAColumnMaskedKeepsItsOriginalValue() throws Exception {
        Set<String> sensitive = Set.of("age", "personal_status");
        String edited = SensitiveFields.mask(ROW, sensitive).replace("\"abc\"", "\"24\"");
        JsonNode values = JSON.readTree(SensitiveFields.unmask(edited, ROW, sensitive)).get("values");
        assertEquals("67", values.get("age").get("string").asText());
        assertEquals("male single", values.get("personal_status").get("string").asText());
        assertEquals("24", values.get("duration").get("string").asText(), "the reviewer's fix stands");
    }

    @Test
    void anythingThatIsNotARowIsLeftAlone() {
        String event = "{\"envelope\": {\"runId\": \"r1\"}, \"payload\": {\"stage\": \"x\"}}";
        assertEquals(event, SensitiveFields.mask(event, Set.of("age")));
        assertEquals("not json", SensitiveFields.mask("not json", Set.of("age")));
        assertEquals(ROW, SensitiveFields.mask(ROW, Set.of()));
    }
}
