package dev.agentmesh.service;

import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.team.ShadowComparison;
import dev.agentmesh.topics.Topics;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShadowModeTest {

    @Test
    void aShadowThatCouldActRefusesToStart() {
        assertTrue(assertThrows(IllegalStateException.class,
                () -> ShadowMode.check("risk-fairness", Topics.RUN_EVENTS.name(), "risk-fairness-shadow")).getMessage()
                .contains("answers only on mesh.shadow"));
        assertTrue(assertThrows(IllegalStateException.class,
                () -> ShadowMode.check("risk-fairness", Topics.SHADOW.name(), "risk-fairness")).getMessage()
                .contains("a consumer group of its own"));
        ShadowMode.check("risk-fairness", Topics.SHADOW.name(), "risk-fairness-shadow");
    }

    @Test
    void aShadowsAnswerCarriesItsVersion() {
        AssessmentReturned answer = new AssessmentReturned("risk-fairness", Verdict.CONCERN, "gap", Map.of(), Map.of("bands", "25,40"));
        assertEquals(Map.of("bands", "25,40", ShadowComparison.VERSION_KEY, "v2"), ShadowMode.label(answer, "v2").getEvidence());
    }
}
