package dev.agentmesh.team;

import dev.agentmesh.runstate.GateState;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GateCounterfactualTest {

    static final List<String> TEAM = List.of("model-quality", "risk-fairness", "cost", "deployment-engineer");

    static GateState decided(String disposition, Map<String, String> verdicts) {
        TreeMap<String, GateState.Assessment> assessments = new TreeMap<>();
        verdicts.forEach((specialist, verdict) -> assessments.put(specialist, new GateState.Assessment(specialist, verdict,
                verdict.toLowerCase(), new TreeMap<>(), new TreeMap<>(), specialist + "-1", Instant.EPOCH, specialist + "-event")));
        GateState.Decision decision = new GateState.Decision(disposition, "recorded", List.of(), List.of(), "default",
                "coordinator", Instant.EPOCH, "decision-event");
        return new GateState(null, null, 0, new TreeMap<>(), assessments, new TreeMap<>(), decision, new TreeMap<>(),
                List.of(), null, 1, List.of(), null);
    }

    static GatePolicy policy(List<String> specialists, int concernsAtLeast) {
        return new GatePolicy("test", specialists, Duration.ofMinutes(1), new GatePolicy.ReturnWhen(true, concernsAtLeast), null);
    }

    @Test
    void aStricterRuleReturnsARunShippedWithAConcernAndLeavesTheRest() {
        GateState concern = decided("SHIP", Map.of("model-quality", "APPROVE", "risk-fairness", "CONCERN", "cost", "APPROVE",
                "deployment-engineer", "APPROVE"));
        GateState clean = decided("SHIP", Map.of("model-quality", "APPROVE", "risk-fairness", "APPROVE", "cost", "APPROVE",
                "deployment-engineer", "APPROVE"));
        GateState blocked = decided("RETURN_TO_PRINCIPAL", Map.of("model-quality", "BLOCK", "risk-fairness", "APPROVE",
                "cost", "APPROVE", "deployment-engineer", "APPROVE"));
        GatePolicy strict = policy(TEAM, 1);

        GateCounterfactual.Comparison c = GateCounterfactual.of("r-concern", concern, strict).orElseThrow();
        assertTrue(c.changed());
        assertEquals("RETURN_TO_PRINCIPAL", c.counterfactual());
        assertTrue(c.reason().contains("1 concerns (risk-fairness)"), c.reason());
        assertFalse(GateCounterfactual.of("r-clean", clean, strict).orElseThrow().changed());
        assertFalse(GateCounterfactual.of("r-blocked", blocked, strict).orElseThrow().changed());
        assertEquals(1, GateCounterfactual.changed(List.of(c,
                GateCounterfactual.of("r-clean", clean, strict).orElseThrow())));

        assertFalse(GateCounterfactual.of("r-concern", concern, policy(TEAM, 2)).orElseThrow().changed(),
                "the rule it was decided under gives the recorded decision");
    }

    @Test
    void aPolicyThatNeedsASpecialistTheRunNeverAskedFindsItMissing() {
        GateState clean = decided("SHIP", Map.of("model-quality", "APPROVE", "risk-fairness", "APPROVE", "cost", "APPROVE",
                "deployment-engineer", "APPROVE"));
        List<String> wider = List.of("model-quality", "risk-fairness", "cost", "deployment-engineer", "security-review");
        GateCounterfactual.Comparison c = GateCounterfactual.of("r", clean, policy(wider, 2)).orElseThrow();
        assertTrue(c.changed());
        assertTrue(c.reason().contains("no assessment from security-review"), c.reason());
        assertEquals(Optional.empty(), GateCounterfactual.of("undecided", null, policy(TEAM, 2)));
    }
}
