package dev.agentmesh.runstate.service;

import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.StageState;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;

/**
 * What the dashboards chart from run state as it changes: {@code mesh.stage.duration{stage,status}} when a stage
 * attempt finishes, {@code mesh.runs.ended{status}} when a run reaches an end, and the compute and tokens the runs
 * spent ({@code mesh.run.compute.ms}, {@code mesh.run.tokens}). Counted as processed: an event processed again after
 * a crash (exactly-once keeps the state right) may be counted twice.
 */
final class RunTransitionMetrics implements RunTransitions {

    private final MeterRegistry metrics;

    RunTransitionMetrics(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    @Override
    public void applied(RunState before, RunState after) {
        after.stages().forEach((name, stage) -> {
            StageState was = before == null ? null : before.stages().get(name);
            if (stage.status().terminal() && stage.startedAt() != null && stage.finishedAt() != null
                    && (was == null || !was.status().terminal() || was.attempt() != stage.attempt())) {
                metrics.timer("mesh.stage.duration", "stage", name, "status", stage.status().name())
                        .record(Duration.between(stage.startedAt(), stage.finishedAt()));
            }
        });
        if (after.status().terminal() && (before == null || before.status() != after.status())) {
            metrics.counter("mesh.runs.ended", "status", after.status().name()).increment();
        }
        long compute = after.computeMs() - (before == null ? 0 : before.computeMs());
        if (compute > 0) {
            metrics.counter("mesh.run.compute.ms").increment(compute);
        }
        long tokens = after.tokens() - (before == null ? 0 : before.tokens());
        if (tokens > 0) {
            metrics.counter("mesh.run.tokens").increment(tokens);
        }
    }
}
