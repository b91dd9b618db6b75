package dev.agentmesh.core;

import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.StageState;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Compound reliability over a window of recent runs: each stage's first-attempt success rate (a stage completed on
 * the run's first attempt; a stage re-run by a resume, or failed, is not), the product of those rates (the end-to-end
 * rate the chain predicts) and the measured end-to-end rate (runs that completed with every stage on its first
 * attempt). Only ended runs count; the window is the most recent {@code window} of them by trigger time.
 *
 * @param pipeline the pipeline the runs belong to, or null for all
 */
public record Reliability(String pipeline, int window, int runs, List<StageRate> stages, double predicted,
                          Rate measured) {

    /** {@code successes} of {@code count}; a rate of an empty count is 1 (nothing failed), never NaN. */
    public record Rate(long successes, long count) {
        public double rate() {
            return count == 0 ? 1.0 : (double) successes / count;
        }
    }

    /** A stage's first-attempt successes out of the runs that reached it. */
    public record StageRate(String stage, String role, Rate firstAttempt) {
    }

    public static Reliability of(Collection<RunState> all, String pipeline, int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1, was " + window);
        }
        List<RunState> runs = all.stream()
                .filter(r -> r.status().terminal())
                .filter(r -> pipeline == null || pipeline.equals(r.pipeline()))
                .sorted(Comparator.comparing(RunState::triggeredAt, Comparator.nullsFirst(Comparator.<Instant>naturalOrder()))
                        .thenComparing(RunState::runId).reversed())
                .limit(window)
                .toList();
        Set<String> order = new LinkedHashSet<>();
        runs.forEach(r -> order.addAll(r.plannedStages()));
        runs.forEach(r -> order.addAll(r.stages().keySet()));
        List<StageRate> stages = new ArrayList<>();
        double predicted = 1.0;
        for (String stage : order) {
            long reached = 0;
            long first = 0;
            for (RunState run : runs) {
                StageState s = run.stages().get(stage);
                if (s != null) {
                    reached++;
                    if (firstAttemptSuccess(s)) {
                        first++;
                    }
                }
            }
            if (reached > 0) {
                Rate rate = new Rate(first, reached);
                stages.add(new StageRate(stage, Stages.role(stage), rate));
                predicted *= rate.rate();
            }
        }
        long clean = runs.stream().filter(r -> r.status() == RunStatus.COMPLETED
                && r.stages().values().stream().allMatch(Reliability::firstAttemptSuccess)).count();
        return new Reliability(pipeline, window, runs.size(), List.copyOf(stages), predicted, new Rate(clean, runs.size()));
    }

    private static boolean firstAttemptSuccess(StageState stage) {
        return stage.status() == StageState.Status.COMPLETED && stage.attempt() <= 1;
    }
}
