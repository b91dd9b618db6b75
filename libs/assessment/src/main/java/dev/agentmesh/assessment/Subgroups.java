package dev.agentmesh.assessment;

import java.util.Arrays;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-subgroup metrics of a classifier's decisions: size, positive rate (share predicted positive) and true-positive
 * rate (share of actual positives predicted positive), and the largest gaps between groups big enough to judge.
 */
public final class Subgroups {

    public record Group(String name, int n, int actualPositives, double positiveRate, double truePositiveRate) {
    }

    /** The gaps over groups with at least {@code minGroupSize} rows (TPR: also at least one actual positive). */
    public record Gaps(String attribute, List<Group> groups, double positiveRateGap, double truePositiveRateGap,
                       String lowestPositiveRate, String highestPositiveRate) {
    }

    private Subgroups() {
    }

    public static Gaps gaps(String attribute, String[] groupOfRow, boolean[] predictedPositive, boolean[] actualPositive,
                            int minGroupSize) {
        Map<String, int[]> tally = new TreeMap<>(); // n, predicted positive, actual positive, both
        for (int i = 0; i < groupOfRow.length; i++) {
            int[] t = tally.computeIfAbsent(groupOfRow[i], g -> new int[4]);
            t[0]++;
            t[1] += predictedPositive[i] ? 1 : 0;
            t[2] += actualPositive[i] ? 1 : 0;
            t[3] += predictedPositive[i] && actualPositive[i] ? 1 : 0;
        }
        List<Group> groups = new ArrayList<>();
        tally.forEach((name, t) -> groups.add(new Group(name, t[0], t[2], (double) t[1] / t[0],
                t[2] == 0 ? Double.NaN : (double) t[3] / t[2])));
        List<Group> judged = groups.stream().filter(g -> g.n() >= minGroupSize).toList();
        Group low = judged.stream().min(Comparator.comparingDouble(Group::positiveRate)).orElse(null);
        Group high = judged.stream().max(Comparator.comparingDouble(Group::positiveRate)).orElse(null);
        double prGap = low == null ? 0 : high.positiveRate() - low.positiveRate();
        double[] tprs = judged.stream().filter(g -> g.actualPositives() > 0).mapToDouble(Group::truePositiveRate).toArray();
        double tprGap = tprs.length < 2 ? 0 : Arrays.stream(tprs).max().orElse(0) - Arrays.stream(tprs).min().orElse(0);
        return new Gaps(attribute, groups, prGap, tprGap, low == null ? null : low.name(), high == null ? null : high.name());
    }

    /** The band of {@code value} for ascending {@code edges}: "<25", "25-40", ..., ">=60". */
    public static String band(double value, double[] edges) {
        if (value < edges[0]) {
            return "<" + fmt(edges[0]);
        }
        for (int i = 1; i < edges.length; i++) {
            if (value < edges[i]) {
                return fmt(edges[i - 1]) + "-" + fmt(edges[i]);
            }
        }
        return ">=" + fmt(edges[edges.length - 1]);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
