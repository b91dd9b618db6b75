package dev.agentmesh.review.service;

import dev.agentmesh.runstate.SweepState;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A sweep's cells as points of validation loss against inference latency, scaled into an SVG drawing the page
 * renders as is (no script, so it shows offline and each point carries its own title for screen readers). Cells
 * without both figures (failed, cancelled, not run) are listed beside the chart with their reasons instead.
 */
public record SweepChart(List<Point> points, List<Unplotted> unplotted, List<Tick> xTicks, List<Tick> yTicks,
                         String xLabel, String yLabel) {

    public static final int WIDTH = 640;
    public static final int HEIGHT = 360;
    static final int LEFT = 64;
    static final int RIGHT = 16;
    static final int TOP = 16;
    static final int BOTTOM = 48;

    /** One plotted cell: its place in the drawing, and what its title says. */
    public record Point(String cellId, double x, double y, boolean winner, int rank, String title) {
    }

    public record Unplotted(String cellId, String status, String reason) {
    }

    public record Tick(double at, String label) {
    }

    // the frame, for the template (Qute does no arithmetic)
    public int width() {
        return WIDTH;
    }

    public int height() {
        return HEIGHT;
    }

    public int left() {
        return LEFT;
    }

    public int right() {
        return WIDTH - RIGHT;
    }

    public int top() {
        return TOP;
    }

    public int bottom() {
        return HEIGHT - BOTTOM;
    }

    public static SweepChart of(SweepState sweep) {
        List<SweepState.CellState> plotted = new ArrayList<>();
        List<Unplotted> unplotted = new ArrayList<>();
        for (SweepState.CellState c : sweep.cells().values()) {
            if (c.validationLoss() != null && c.inferenceLatencyMicros() != null) {
                plotted.add(c);
            } else {
                unplotted.add(new Unplotted(c.cellId(), c.status().name(), c.reason() == null ? "" : c.reason()));
            }
        }
        Range x = Range.of(plotted.stream().mapToDouble(SweepState.CellState::inferenceLatencyMicros).toArray());
        Range y = Range.of(plotted.stream().mapToDouble(SweepState.CellState::validationLoss).toArray());
        String winner = sweep.outcome() == null ? null : sweep.outcome().winnerCellId();
        List<String> ranking = sweep.outcome() == null ? List.of() : sweep.outcome().ranking();
        List<Point> points = new ArrayList<>();
        for (SweepState.CellState c : plotted) {
            int rank = ranking.indexOf(c.cellId()) + 1;
            points.add(new Point(c.cellId(), px(x, c.inferenceLatencyMicros()), py(y, c.validationLoss()),
                    c.cellId().equals(winner), rank, String.format(Locale.ROOT, "%s%s: validation loss %.5f, latency %.2f µs%s",
                    c.cellId(), c.cellId().equals(winner) ? " (winner)" : "", c.validationLoss(),
                    c.inferenceLatencyMicros(), rank > 0 ? ", rank " + rank : "")));
        }
        return new SweepChart(points, unplotted, ticks(x, true), ticks(y, false),
                x.log() ? "inference latency (µs, log scale)" : "inference latency (µs)",
                "validation loss");
    }

    private static double px(Range r, double v) {
        return LEFT + r.fraction(v) * (WIDTH - LEFT - RIGHT);
    }

    private static double py(Range r, double v) {
        return HEIGHT - BOTTOM - r.fraction(v) * (HEIGHT - TOP - BOTTOM);
    }

    private static List<Tick> ticks(Range r, boolean horizontal) {
        List<Tick> ticks = new ArrayList<>();
        for (int i = 0; i <= 4; i++) {
            double v = r.at(i / 4.0);
            ticks.add(new Tick(horizontal ? px(r, v) : py(r, v), v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                    : String.format(Locale.ROOT, "%.3g", v)));
        }
        return ticks;
    }

    /**
     * The figures' span, widened a little so no point sits on an axis; one value gets a span around it. Positive
     * figures spread over more than a factor of 20 (a slow cell among fast ones) are drawn on a log scale.
     */
    record Range(double min, double max, boolean log) {
        static Range of(double[] values) {
            if (values.length == 0) {
                return new Range(0, 1, false);
            }
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (double v : values) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            if (lo > 0 && hi / lo > 20) {
                return new Range(lo / 1.2, hi * 1.2, true);
            }
            double pad = hi > lo ? (hi - lo) * 0.05 : Math.max(Math.abs(lo) * 0.1, 1e-6);
            return new Range(lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi + pad, false); // no negative latency or loss
        }

        double fraction(double v) {
            return log ? Math.log(v / min) / Math.log(max / min) : (v - min) / (max - min);
        }

        /** The value at {@code fraction} of the span. */
        double at(double fraction) {
            return log ? min * Math.pow(max / min, fraction) : min + (max - min) * fraction;
        }
    }
}
