package dev.agentmesh.assessment;

import java.util.stream.IntStream;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;

/**
 * Population stability index: {@code sum((a - e) * ln(a / e))} over bins, where {@code e} and {@code a} are the
 * shares of the reference (expected) and current (actual) rows in each bin. Numeric values are binned at the
 * reference's deciles; categories are their own bins. Empty bins count as {@link #FLOOR} so the index stays finite.
 */
public final class DatasetShift {

    public static final double FLOOR = 1e-4;

    private DatasetShift() {
    }

    public static double psi(double[] expected, double[] actual, int bins) {
        if (expected.length == 0 || actual.length == 0) {
            throw new IllegalArgumentException("both samples must be non-empty");
        }
        double[] edges = quantileEdges(expected, bins);
        double[] e = shares(expected, edges);
        double[] a = shares(actual, edges);
        return index(e, a);
    }

    public static double psi(Map<String, Long> expectedCounts, Map<String, Long> actualCounts) {
        TreeSet<String> categories = new TreeSet<>(expectedCounts.keySet());
        categories.addAll(actualCounts.keySet());
        double eTotal = expectedCounts.values().stream().mapToLong(Long::longValue).sum();
        double aTotal = actualCounts.values().stream().mapToLong(Long::longValue).sum();
        double[] e = new double[categories.size()];
        double[] a = new double[categories.size()];
        int i = 0;
        for (String c : categories) {
            e[i] = expectedCounts.getOrDefault(c, 0L) / eTotal;
            a[i] = actualCounts.getOrDefault(c, 0L) / aTotal;
            i++;
        }
        return index(e, a);
    }

    static double index(double[] e, double[] a) {
        double psi = 0;
        for (int i = 0; i < e.length; i++) {
            double ei = Math.max(FLOOR, e[i]);
            double ai = Math.max(FLOOR, a[i]);
            psi += (ai - ei) * Math.log(ai / ei);
        }
        return psi;
    }

    /** Distinct inner bin edges at the reference's quantiles k/bins (a value equal to an edge falls in the upper bin). */
    static double[] quantileEdges(double[] reference, int bins) {
        double[] sorted = reference.clone();
        Arrays.sort(sorted);
        return IntStream.range(1, bins)
                .mapToDouble(k -> sorted[(int) Math.floor((double) k * sorted.length / bins)])
                .distinct().toArray();
    }

    static double[] shares(double[] values, double[] edges) {
        double[] shares = new double[edges.length + 1];
        for (double v : values) {
            int bin = 0;
            while (bin < edges.length && v >= edges[bin]) {
                bin++;
            }
            shares[bin]++;
        }
        for (int i = 0; i < shares.length; i++) {
            shares[i] /= values.length;
        }
        return shares;
    }
}
