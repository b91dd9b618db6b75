package dev.agentmesh.fanout;

import dev.agentmesh.runstate.SweepState.CellState;
import dev.agentmesh.runstate.SweepState.CellStatus;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** The fan-in's fixed rule: lowest validation loss; ties go to lower inference latency, then to the cell id. */
public final class Ranking {

    public static final String RULE = "minimise (validation_log_loss, inference_latency_us_per_row, cell_id), "
            + "compared in that order";

    private static final Comparator<CellState> BEST_FIRST = Comparator
            .comparingDouble(CellState::validationLoss)
            .thenComparingDouble(CellState::inferenceLatencyMicros)
            .thenComparing(CellState::cellId);

    private Ranking() {
    }

    /** The succeeded cells, best first. */
    public static List<CellState> rank(Collection<CellState> cells) {
        return cells.stream().filter(c -> c.status() == CellStatus.SUCCEEDED).sorted(BEST_FIRST).toList();
    }
}
