package dev.agentmesh.assessment;

import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Candidate;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.team.Specialists;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Inference cost projected from the candidate's measured single-row latency: CPU hours a month at the configured
 * traffic, times the configured price, against the budget. Past the budget blocks; past {@code concernShare} of it
 * is a concern.
 */
public final class CostProjection {

    public static final double SECONDS_PER_MONTH = 30 * 24 * 3600.0;

    public record Settings(double requestsPerSecond, double pricePerCpuHour, double budgetPerMonth, double concernShare) {
    }

    private CostProjection() {
    }

    public static double cpuHoursPerMonth(double latencyMicros, double requestsPerSecond) {
        return latencyMicros / 1e6 * requestsPerSecond * SECONDS_PER_MONTH / 3600.0;
    }

    public static AssessmentReturned assess(Candidate candidate, Settings s) {
        double latency = candidate.getInferenceLatencyMicros();
        double hours = cpuHoursPerMonth(latency, s.requestsPerSecond());
        double cost = hours * s.pricePerCpuHour();
        Map<String, Double> metrics = new TreeMap<>();
        metrics.put("latency-micros", latency);
        metrics.put("cpu-hours-per-month", hours);
        metrics.put(Specialists.Metrics.COST_PER_MONTH, cost);
        metrics.put(Specialists.Metrics.BUDGET_PER_MONTH, s.budgetPerMonth());
        metrics.put("budget-share", cost / s.budgetPerMonth());
        Map<String, String> evidence = new TreeMap<>();
        evidence.put("latency.source", "mean single-row prediction time measured by the trainer on the validation split ("
                + candidate.getCellId() + ")");
        evidence.put("traffic", String.format(Locale.ROOT, "%.1f requests/s", s.requestsPerSecond()));
        evidence.put("price", String.format(Locale.ROOT, "%.4f per CPU hour", s.pricePerCpuHour()));
        String numbers = String.format(Locale.ROOT, "%.2f us/row at %.0f req/s = %.2f CPU h/month = %.2f vs budget %.2f",
                latency, s.requestsPerSecond(), hours, cost, s.budgetPerMonth());
        if (!Double.isFinite(latency) || latency <= 0) {
            return new AssessmentReturned(Specialists.COST, Verdict.CONCERN, "no measured latency to project from", metrics, evidence);
        }
        if (cost > s.budgetPerMonth()) {
            return new AssessmentReturned(Specialists.COST, Verdict.BLOCK, "over budget: " + numbers, metrics, evidence);
        }
        if (cost > s.concernShare() * s.budgetPerMonth()) {
            return new AssessmentReturned(Specialists.COST, Verdict.CONCERN, "near budget: " + numbers, metrics, evidence);
        }
        return new AssessmentReturned(Specialists.COST, Verdict.APPROVE, "within budget: " + numbers, metrics, evidence);
    }
}
