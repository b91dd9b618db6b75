package dev.agentmesh.review.service;

import dev.agentmesh.team.Specialists.Metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Figures against the thresholds they are judged by, as horizontal bars with the thresholds drawn as marks (SVG on
 * the server): a fairness assessment's PSI per feature against its concern and block levels, a cost assessment's
 * monthly cost against the budget.
 */
public record ThresholdChart(String title, List<Bar> bars, List<Mark> marks, int height) {

    public static final int WIDTH = 360;
    static final int LABEL = 150;
    static final int ROW = 18;
    static final int PLOT = WIDTH - LABEL - 50;

    /** One figure: its label, its value as text, its bar, and whether it is past the first mark. */
    public record Bar(String label, String value, int y, double width, boolean past) {
    }

    /** A threshold: its label and where it is drawn. */
    public record Mark(String label, double x) {
    }

    public int width() {
        return WIDTH;
    }

    public int labelWidth() {
        return LABEL;
    }

    /** PSI per feature against the concern and block thresholds (metrics {@code psi.<column>}, {@code psi-threshold.*}). */
    public static Optional<ThresholdChart> psi(Map<String, Double> metrics) {
        Map<String, Double> psi = new TreeMap<>();
        metrics.forEach((k, v) -> {
            if (k.startsWith(Metrics.PSI_PREFIX) && v != null && Double.isFinite(v)) {
                psi.put(k.substring(Metrics.PSI_PREFIX.length()), v);
            }
        });
        Double concern = metrics.get(Metrics.PSI_CONCERN);
        Double block = metrics.get(Metrics.PSI_BLOCK);
        if (psi.isEmpty() || concern == null || block == null) {
            return Optional.empty();
        }
        double scale = Math.max(block * 1.2, psi.values().stream().mapToDouble(Double::doubleValue).max().orElse(0));
        return Optional.of(chart("PSI per feature", psi, "%.3f", scale, List.of(
                Map.entry("concern " + fmt(concern), concern), Map.entry("block " + fmt(block), block))));
    }

    /** The projected monthly cost against the budget (metrics {@code cost-per-month}, {@code budget-per-month}). */
    public static Optional<ThresholdChart> costAgainstBudget(Map<String, Double> metrics) {
        Double cost = metrics.get(Metrics.COST_PER_MONTH);
        Double budget = metrics.get(Metrics.BUDGET_PER_MONTH);
        if (cost == null || budget == null || !Double.isFinite(cost) || !Double.isFinite(budget) || budget <= 0) {
            return Optional.empty();
        }
        return Optional.of(chart("cost per month against the budget", Map.of("projected cost", cost), "%.2f",
                Math.max(cost, budget) * 1.1, List.of(Map.entry("budget " + fmt(budget), budget))));
    }

    private static ThresholdChart chart(String title, Map<String, Double> values, String format, double scale,
                                        List<Map.Entry<String, Double>> thresholds) {
        double first = thresholds.get(0).getValue();
        List<Bar> bars = new ArrayList<>();
        int y = 18;
        for (Map.Entry<String, Double> v : values.entrySet()) {
            bars.add(new Bar(v.getKey(), String.format(Locale.ROOT, format, v.getValue()), y,
                    Math.max(1, v.getValue() / scale * PLOT), v.getValue() >= first));
            y += ROW;
        }
        List<Mark> marks = thresholds.stream().map(t -> new Mark(t.getKey(), LABEL + t.getValue() / scale * PLOT)).toList();
        return new ThresholdChart(title, bars, marks, y + 4);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
