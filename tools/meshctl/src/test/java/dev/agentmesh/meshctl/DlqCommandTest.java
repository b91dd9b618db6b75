package dev.agentmesh.meshctl;

import dev.agentmesh.core.Excerpt;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DlqCommandTest {

    @Test
    void aCellIsPrintableAndCutToItsWidth() {
        assertEquals("run-1", Excerpt.cell("run-1", 28));
        assertEquals("a?[31mred?", Excerpt.cell("a\u001b[31mred\u0007", 28), "no record drives the terminal");
        String cut = Excerpt.cell("x".repeat(20_000), 28);
        assertEquals(28, cut.length());
        assertTrue(cut.endsWith("…"), cut);
    }

    @Test
    void anItemWhoseRecordCarriedHostileTextIsShownPrintableAndBounded() throws Exception {
        ObjectNode item = new ObjectMapper().createObjectNode();
        item.put("id", "dlq-0-1").put("status", "OPEN").put("kind", "DEAD_LETTER")
                .put("runId", "\u001b]0;owned\u0007" + "k".repeat(20_000)).put("key", "k".repeat(20_000))
                .put("reason", "bad\r\nforged line");
        item.putObject("headers").put("x-\u0000odd", "v".repeat(5_000));
        String shown = DlqCommand.describe(item);
        assertFalse(shown.contains("\u001b") || shown.contains("\u0000") || shown.contains("\r"), shown);
        assertTrue(shown.contains("bad??forged line"), shown);
        assertTrue(shown.length() < 3_000, "every field bounded: " + shown.length() + " characters");
    }
}
