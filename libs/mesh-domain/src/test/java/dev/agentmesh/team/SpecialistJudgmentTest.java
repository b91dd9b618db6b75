package dev.agentmesh.team;

import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Candidate;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.judgment.Answer;
import dev.agentmesh.judgment.Judged;
import dev.agentmesh.judgment.ModelJudgment;
import dev.agentmesh.judgment.ModelReply;
import dev.agentmesh.judgment.ModelSettings;
import dev.agentmesh.judgment.SpendLimit;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpecialistJudgmentTest {

    static final Candidate CANDIDATE = new Candidate("w", "file:/m/w", "sha256:w", 0.48, 12.5, "credit-g", "file:/d/");
    static final AssessmentReturned RULES = new AssessmentReturned("risk-fairness", Verdict.CONCERN, "gap 0.16 on age",
            Map.of("gap.age", 0.16, "psi.amount", 0.02), Map.of("thresholds", "gap concern 0.15", "subgroups.rows", "300"));

    @Test
    void theModelsVerdictKeepsTheRulesMeasurementsAndTheRulesAnswerCanBeRecoveredFromIt() {
        ModelJudgment model = new ModelJudgment(prompt -> new ModelReply(
                "{\"verdict\":\"BLOCK\",\"summary\":\"the age gap is material\",\"evidence\":{\"gap.age\":\"0.16\"}}", 100, 20, 3),
                ModelSettings.builder("m").build());
        Judged judged = model.judge(SpecialistJudgment.question("risk-fairness", CANDIDATE, RULES),
                SpecialistJudgment.rulesAnswer(RULES), SpendLimit.NONE);
        AssessmentReturned assessed = SpecialistJudgment.assessed("risk-fairness", RULES, judged, model);
        assertEquals(Verdict.BLOCK, assessed.getVerdict());
        assertEquals("the age gap is material", assessed.getSummary());
        assertEquals(RULES.getMetrics(), assessed.getMetrics());
        assertEquals("model:m", assessed.getEvidence().get(SpecialistJudgment.JUDGMENT));
        assertEquals("CONCERN", assessed.getEvidence().get(SpecialistJudgment.RULES_VERDICT));
        assertEquals("0.16", assessed.getEvidence().get("model.gap.age"));
        assertEquals(RULES, SpecialistJudgment.rulesOf(assessed), "replay renders the same question from the recorded answer");
        String facts = SpecialistJudgment.question("risk-fairness", CANDIDATE, RULES).facts();
        assertTrue(facts.contains("Your rules' verdict: CONCERN. gap 0.16 on age") && facts.contains("{gap.age=0.16, psi.amount=0.02}"),
                facts);
        assertEquals(new Answer("CONCERN", "gap 0.16 on age", RULES.getEvidence()), SpecialistJudgment.rulesAnswer(RULES));
    }
}
