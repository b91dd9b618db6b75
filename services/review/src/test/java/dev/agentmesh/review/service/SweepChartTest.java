package dev.agentmesh.review.service;

import dev.agentmesh.runstate.SweepState;
import dev.agentmesh.runstate.SweepState.CellState;
import dev.agentmesh.runstate.SweepState.CellStatus;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

class SweepChartTest {

    static CellState trained(String id, double loss, double latency) {
        return CellState.builder(id, CellStatus.SUCCEEDED, 1, id + "-done").measured(loss, 0.7, latency, 100L).build();
    }

    static SweepState sweep(Map<String, CellState> cells, String winner, List<String> ranking) {
        SweepState.Outcome outcome = new SweepState.Outcome("SUCCEEDED", winner, "file:/m", "sha256:x", 0.4, ranking,
                cells.size() - 1, 1, 0, new TreeMap<>(), null, "done", null, "e");
        return new SweepState("g", "lowest loss", new TreeMap<>(), null, null, "plan", new TreeMap<>(cells), 0, outcome, 1,
                null, null, null);
    }

    @Test
    void everyTrainedCellIsAPointInsideTheFrameWithTheWinnerMarked() {
        SweepChart chart = SweepChart.of(sweep(Map.of(
                "a", trained("a", 0.40, 5.0),
                "b", trained("b", 0.55, 2.0),
                "c", trained("c", 0.70, 9.0),
                "d", CellState.builder("d", CellStatus.FAILED, 2, "d-failed").failure("diverged at epoch 3", false, "train").build()),
                "a", List.of("a", "b", "c")));
        assertEquals(List.of("a", "b", "c"), chart.points().stream().map(SweepChart.Point::cellId).toList());
        assertEquals(List.of("a"), chart.points().stream().filter(SweepChart.Point::winner).map(SweepChart.Point::cellId).toList());
        for (SweepChart.Point p : chart.points()) {
            assertTrue(p.x() > chart.left() && p.x() < chart.right(), p.toString());
            assertTrue(p.y() > chart.top() && p.y() < chart.bottom(), p.toString());
        }
        SweepChart.Point a = chart.points().get(0);
        SweepChart.Point b = chart.points().get(1);
        SweepChart.Point c = chart.points().get(2);
        assertTrue(a.y() > b.y() && b.y() > c.y(), "loss grows upwards: the lowest loss is drawn lowest");
        assertTrue(b.x() < a.x() && a.x() < c.x(), "lower latency is drawn further left");
        assertTrue(a.title().contains("(winner)") && a.title().contains("rank 1"), a.title());
        assertEquals(List.of(new SweepChart.Unplotted("d", "FAILED", "diverged at epoch 3")), chart.unplotted());
        assertEquals(5, chart.xTicks().size());
    }

    @Test
    void latenciesSpreadOverOrdersOfMagnitudeAreDrawnOnALogScale() {
        SweepChart chart = SweepChart.of(sweep(Map.of("a", trained("a", 0.4, 2.0), "b", trained("b", 0.5, 20.0),
                "c", trained("c", 0.6, 200.0)), "a", List.of("a", "b", "c")));
        double ab = chart.points().get(1).x() - chart.points().get(0).x();
        double bc = chart.points().get(2).x() - chart.points().get(1).x();
        assertEquals(ab, bc, 1e-6, "each factor of ten is the same width");
        assertTrue(chart.xLabel().contains("log scale"));
        assertTrue(chart.points().stream().allMatch(p -> p.x() > chart.left() && p.x() < chart.right()));
    }

    @Test
    void oneCellOrNoneStillDraws() {
        SweepChart one = SweepChart.of(sweep(Map.of("a", trained("a", 0.4, 5.0)), "a", List.of("a")));
        assertEquals(1, one.points().size());
        assertTrue(Double.isFinite(one.points().get(0).x()) && Double.isFinite(one.points().get(0).y()));
        SweepChart none = SweepChart.of(sweep(Map.of(), null, List.of()));
        assertTrue(none.points().isEmpty());
    }
}
