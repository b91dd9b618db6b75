package dev.agentmesh.contract;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.data.DataRow;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class SensitiveValuesTest {

    @Test
    void aRowsSensitiveValuesAreMaskedAndAMissingValueStaysMissing() {
        Map<String, String> values = new HashMap<>(Map.of("age", "67", "duration", "6"));
        values.put("personal_status", null);
        DataRow row = new DataRow(new Envelopes("row-validator", "rv").origin("r", null), 3L, values);
        DataRow masked = SensitiveValues.mask(row, Set.of("age", "personal_status"));
        assertEquals("***", masked.getValues().get("age"));
        assertNull(masked.getValues().get("personal_status"));
        assertEquals("6", masked.getValues().get("duration"));
        assertEquals("67", row.getValues().get("age"), "the original is not changed");
        assertEquals("***", SensitiveValues.mask(row, SensitiveValues.ALL).getValues().get("duration"), "every column");
    }

    @Test
    void aReasonQuotingASensitiveValueHasItMasked() {
        assertEquals("age: '***' is not an integer; duration: 'x' is not an integer",
                SensitiveValues.maskReason("age: 'x1' is not an integer; duration: 'x' is not an integer", Set.of("age")));
        assertEquals("row 2 violates the data contract: age: *** is below the minimum 18",
                SensitiveValues.maskReason("row 2 violates the data contract: age: 7 is below the minimum 18", Set.of("age")));
    }
}
