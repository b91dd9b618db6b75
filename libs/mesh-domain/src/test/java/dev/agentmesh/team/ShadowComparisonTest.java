package dev.agentmesh.team;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.run.RunEvent;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShadowComparisonTest {

    final Envelopes coordinator = new Envelopes("coordinator", "c-1");
    final Envelopes production = new Envelopes("risk-fairness", "rf-1");
    final Envelopes shadow = new Envelopes("risk-fairness", "rf-shadow-1");

    RunEvent answer(Envelopes who, Envelope request, Verdict verdict, double gap, String version) {
        Map<String, String> evidence = version == null ? Map.of() : Map.of(ShadowComparison.VERSION_KEY, version);
        return new RunEvent(who.causedBy(request, "assessment", 5),
                new AssessmentReturned("risk-fairness", verdict, verdict + " at gap " + gap, Map.of("gap", gap, "psi", 0.01), evidence));
    }

    @Test
    void answersArePairedByTheRequestTheyAnswerAndDisagreementsKeepTheNumbersThatMoved() {
        Envelope r1 = coordinator.origin("run-1", "g");
        Envelope r2 = coordinator.origin("run-2", "g");
        Envelope r3 = coordinator.origin("run-3", "g");
        List<RunEvent> live = List.of(
                answer(production, r1, Verdict.APPROVE, 0.05, null),
                answer(production, r2, Verdict.APPROVE, 0.02, null));
        List<RunEvent> shadows = List.of(
                answer(shadow, r1, Verdict.CONCERN, 0.05, "strict"),
                answer(shadow, r2, Verdict.APPROVE, 0.02, "strict"),
                answer(shadow, r3, Verdict.CONCERN, 0.2, "strict"),
                answer(shadow, r1, Verdict.BLOCK, 0.07, "other-version"));

        ShadowComparison.Report report = ShadowComparison.of("risk-fairness", "strict", shadows, live);
        assertEquals(2, report.pairs().size());
        assertEquals(1, report.agreements());
        assertEquals(0.5, report.agreementRate());
        assertEquals(1, report.unmatched(), "run-3's request was never answered by production");
        ShadowComparison.Pair disagreement = report.pairs().stream().filter(p -> !p.agrees()).findFirst().orElseThrow();
        assertEquals("run-1", disagreement.runId());
        assertEquals("APPROVE", disagreement.production());
        assertEquals("CONCERN", disagreement.shadow());
        assertEquals(Map.of(), disagreement.metricDeltas(), "same numbers, stricter thresholds");

        ShadowComparison.Report other = ShadowComparison.of("risk-fairness", "other-version", shadows, live);
        assertEquals(1, other.pairs().size());
        assertFalse(other.pairs().get(0).agrees());
        assertEquals(0.02, other.pairs().get(0).metricDeltas().get("gap"), 1e-12);
        assertTrue(ShadowComparison.of("cost", "strict", shadows, live).pairs().isEmpty());
    }
}
