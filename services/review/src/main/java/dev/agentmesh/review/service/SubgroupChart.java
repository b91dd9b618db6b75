package dev.agentmesh.review.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fairness assessment's subgroup rates side by side: from metrics named {@code group.<attribute>=<value>.<rate>}
 * (as risk-fairness reports them), one bar per subgroup for each attribute, drawn as SVG on the server.
 */
public record SubgroupChart(String attribute, String rate, List<Bar> bars, int height) {

    public static final int WIDTH = 360;
    static final int LABEL = 150;
    static final int ROW = 18;

    /** One subgroup: its label, its rate, and the bar's place. */
    public record Bar(String label, String value, int y, double width) {
    }

    private static final Pattern GROUP_RATE = Pattern.compile("group\\.([^=]+)=(.+)\\.(positive-rate)");

    public int width() {
        return WIDTH;
    }

    public int labelWidth() {
        return LABEL;
    }

    /** One chart per attribute with at least two subgroups' rates; none when the metrics name no subgroup. */
    public static List<SubgroupChart> of(Map<String, Double> metrics) {
        Map<String, Map<String, Double>> byAttribute = new TreeMap<>();
        metrics.forEach((name, value) -> {
            Matcher m = GROUP_RATE.matcher(name);
            if (m.matches() && value != null && Double.isFinite(value)) {
                byAttribute.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(m.group(2), value);
            }
        });
        List<SubgroupChart> charts = new ArrayList<>();
        byAttribute.forEach((attribute, rates) -> {
            if (rates.size() < 2) {
                return;
            }
            double max = Math.max(1e-9, rates.values().stream().mapToDouble(Double::doubleValue).max().orElse(1));
            double scale = max <= 1 ? 1 : max; // rates are shares: a full bar is 1
            List<Bar> bars = new ArrayList<>();
            int y = 4;
            for (Map.Entry<String, Double> r : rates.entrySet()) {
                bars.add(new Bar(r.getKey(), String.format(Locale.ROOT, "%.3f", r.getValue()), y,
                        Math.max(1, r.getValue() / scale * (WIDTH - LABEL - 50))));
                y += ROW;
            }
            charts.add(new SubgroupChart(attribute, "positive rate", bars, y + 4));
        });
        return charts;
    }
}
