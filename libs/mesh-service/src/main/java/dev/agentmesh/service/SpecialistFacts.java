package dev.agentmesh.service;

import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Candidate;

import java.util.TreeMap;

/** What a specialist's model reads: the candidate and what the rules measured, in a stable order (replay renders the same). */
final class SpecialistFacts {

    static final int MAX_EXCERPT = 400;

    private SpecialistFacts() {
    }

    static String render(Candidate candidate, AssessmentReturned rules) {
        return "Candidate: cell " + candidate.getCellId() + " of contract " + candidate.getContract() + ", validation loss "
                + candidate.getValidationLoss() + ", inference latency " + candidate.getInferenceLatencyMicros() + " us.\n"
                + "Your rules' verdict: " + rules.getVerdict() + ". " + rules.getSummary() + "\n"
                + "Measurements: " + new TreeMap<>(rules.getMetrics()) + "\n"
                + "Evidence: " + new TreeMap<>(rules.getEvidence());
    }

    /** A bounded, printable excerpt of a model's raw answer, for a failure's reason. */
    static String excerpt(String raw) {
        String printable = raw.replaceAll("[^\\x20-\\x7E]", "?");
        return printable.length() <= MAX_EXCERPT ? printable : printable.substring(0, MAX_EXCERPT) + "...";
    }
}
