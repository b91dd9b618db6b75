package dev.agentmesh.review.service;

import dev.agentmesh.core.Stages;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.runstate.SweepState;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A run's timeline as SVG drawn on the server: a lane per planned stage from its start to its end, and under the
 * sweep a lane per cell from its start (or dispatch) to its end, each coloured by status, on one time axis from the
 * trigger to the run's last event.
 */
public record Timeline(List<Lane> lanes, List<Tick> ticks, int height) {

    public static final int WIDTH = 720;
    static final int LABEL = 170;
    static final int ROW = 14;
    static final int TOP = 6;
    static final int PLOT = WIDTH - LABEL - 10;

    /** One stage or cell: its label, status, and the bar's place ({@code cell}: a sweep cell's lane). */
    public record Lane(String label, String status, int y, double x, double width, String title, boolean cell) {
    }

    public record Tick(double x, String label) {
    }

    public int width() {
        return WIDTH;
    }

    public int labelWidth() {
        return LABEL;
    }

    /** The run's timeline, or null before it has a trigger time and a later event. */
    public static Timeline of(RunState s, Instant now) {
        if (s.triggeredAt() == null) {
            return null;
        }
        Instant start = s.triggeredAt();
        Instant end = s.status().terminal() || s.lastEventAt() == null ? s.lastEventAt() : now;
        if (end == null || !end.isAfter(start)) {
            return null;
        }
        double span = Duration.between(start, end).toMillis();
        List<Lane> lanes = new ArrayList<>();
        int y = TOP + 12;
        for (String name : s.plannedStages()) {
            StageState st = s.stages().get(name);
            if (st != null && st.startedAt() != null) {
                Instant to = st.finishedAt() != null ? st.finishedAt() : end;
                lanes.add(lane(name, st.status().name(), y, start, st.startedAt(), to, span, false));
            } else {
                lanes.add(new Lane(name, "NOT_STARTED", y, LABEL, 0, name + ": not started", false));
            }
            y += ROW;
            if (name.equals(Stages.SWEEP) && s.sweep() != null) {
                List<SweepState.CellState> cells = new ArrayList<>(s.sweep().cells().values());
                cells.sort(Comparator.comparing((SweepState.CellState c) -> c.startedAt() != null ? c.startedAt()
                        : c.dispatchedAt() != null ? c.dispatchedAt() : Instant.MAX).thenComparing(SweepState.CellState::cellId));
                for (SweepState.CellState c : cells) {
                    Instant from = c.startedAt() != null ? c.startedAt() : c.dispatchedAt();
                    if (from == null) {
                        continue;
                    }
                    lanes.add(lane(c.cellId(), c.status().name(), y, start, from, c.finishedAt() != null ? c.finishedAt() : end,
                            span, true));
                    y += ROW - 4;
                }
            }
        }
        List<Tick> ticks = new ArrayList<>();
        for (int i = 0; i <= 4; i++) {
            ticks.add(new Tick(LABEL + PLOT * i / 4.0, RunView.between(start, start.plusMillis((long) (span * i / 4)))
                    .replace(" ms", "ms").replace(" s", "s")));
        }
        ticks.set(0, new Tick(LABEL, "0"));
        return new Timeline(lanes, ticks, y + 6);
    }

    private static Lane lane(String label, String status, int y, Instant start, Instant from, Instant to, double span,
                             boolean cell) {
        double x = LABEL + Math.max(0, Duration.between(start, from).toMillis()) / span * PLOT;
        double width = Math.max(2, Duration.between(from, to).toMillis() / span * PLOT);
        width = Math.min(width, LABEL + PLOT - x);
        return new Lane(label, status, y, x, Math.max(1, width), label + ": " + status + ", " + RunView.between(from, to)
                + " from " + RunView.between(start, from) + " after the trigger", cell);
    }
}
