package dev.agentmesh.team;

import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Candidate;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.judgment.Answer;
import dev.agentmesh.judgment.AnswerSchema;
import dev.agentmesh.judgment.Judged;
import dev.agentmesh.judgment.Judgment;
import dev.agentmesh.judgment.Question;

import java.util.Map;
import java.util.TreeMap;

/**
 * A gate specialist's judgment: its rules measured the candidate ({@code rules}); the judgment (rules, or a model)
 * gives the verdict from those measurements. The rules' own verdict and summary stay in the evidence
 * ({@code rules.verdict}, {@code rules.summary}), the model's citations under {@code model.}, so the question can be
 * rendered again from the recorded answer (replay) and a person sees both.
 */
public final class SpecialistJudgment {

    public static final String JUDGMENT = "judgment";
    public static final String RULES_VERDICT = "rules.verdict";
    public static final String RULES_SUMMARY = "rules.summary";
    public static final String MODEL = "model.";

    private SpecialistJudgment() {
    }

    public static Question question(String role, Candidate candidate, AssessmentReturned rules) {
        return new Question("assessment:" + role, "You are the " + role + " specialist at a release gate for a trained "
                + "model. Judge the candidate from the measurements your rules computed: APPROVE, CONCERN or BLOCK. Cite "
                + "the figures you rely on in 'evidence'; 'summary' is one line a person can act on.",
                facts(candidate, rules), AnswerSchema.of(Verdict.getClassSchema()));
    }

    public static Answer rulesAnswer(AssessmentReturned rules) {
        return new Answer(rules.getVerdict().name(), rules.getSummary(), rules.getEvidence());
    }

    /** The assessment the gate receives: the judged verdict over the rules' measurements. */
    public static AssessmentReturned assessed(String role, AssessmentReturned rules, Judged judged, Judgment judgment) {
        Map<String, String> evidence = new TreeMap<>(rules.getEvidence());
        evidence.put(JUDGMENT, judgment.name());
        evidence.put(RULES_VERDICT, rules.getVerdict().name());
        evidence.put(RULES_SUMMARY, rules.getSummary());
        judged.answer().evidence().forEach((k, v) -> evidence.put(MODEL + k, v));
        return new AssessmentReturned(role, Verdict.valueOf(judged.answer().verdict()), judged.answer().summary(),
                rules.getMetrics(), evidence);
    }

    /** What the rules answered, recovered from an assessment {@link #assessed} recorded. */
    public static AssessmentReturned rulesOf(AssessmentReturned recorded) {
        Map<String, String> evidence = new TreeMap<>();
        recorded.getEvidence().forEach((k, v) -> {
            if (!k.equals(JUDGMENT) && !k.equals(RULES_VERDICT) && !k.equals(RULES_SUMMARY) && !k.startsWith(MODEL)) {
                evidence.put(k, v);
            }
        });
        return new AssessmentReturned(recorded.getSpecialist(), Verdict.valueOf(recorded.getEvidence().get(RULES_VERDICT)),
                recorded.getEvidence().get(RULES_SUMMARY), recorded.getMetrics(), evidence);
    }

    /** What the model reads: the candidate and what the rules measured, in a stable order. */
    static String facts(Candidate candidate, AssessmentReturned rules) {
        return "Candidate: cell " + candidate.getCellId() + " of contract " + candidate.getContract() + ", validation loss "
                + candidate.getValidationLoss() + ", inference latency " + candidate.getInferenceLatencyMicros() + " us.\n"
                + "Your rules' verdict: " + rules.getVerdict() + ". " + rules.getSummary() + "\n"
                + "Measurements: " + new TreeMap<>(rules.getMetrics()) + "\n"
                + "Evidence: " + new TreeMap<>(rules.getEvidence());
    }
}
