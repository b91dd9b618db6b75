package dev.agentmesh.training;

import dev.agentmesh.artifacts.Artifacts;
import java.io.UncheckedIOException;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.data.Split;
import dev.agentmesh.dataset.DatasetReader;
import dev.agentmesh.dataset.DatasetWriter;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.sweep.CellCancelled;
import dev.agentmesh.sweep.CellCompleted;
import dev.agentmesh.sweep.CellFailed;
import dev.agentmesh.sweep.CellStarted;
import dev.agentmesh.sweep.CellStepResult;
import dev.agentmesh.sweep.CellTask;

import java.util.Arrays;
import java.util.Optional;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainer's handler, without Kafka: one cell task in, its events out. Event ids derive from the task's, so a
 * redelivered task yields the same events and the run's fold counts them once.
 */
public final class TrainingAgent {

    /** The dataset splits a task names, read once per dataset checksum and verified against it. */
    record Splits(List<DatasetRow> train, List<DatasetRow> validation) {
    }

    private final Envelopes envelopes;
    private final ModelRegistry registry;
    private final Map<String, Splits> datasets = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Splits> eldest) {
            return size() > 2;
        }
    };

    public TrainingAgent(Envelopes envelopes, ModelRegistry registry) {
        this.envelopes = envelopes;
        this.registry = registry;
    }

    public RunEvent started(CellTask task) {
        return new RunEvent(envelopes.causedBy(task.getEnvelope(), "started", 0), new CellStarted(task.getConfig().getCellId()));
    }

    public RunEvent cancelled(CellTask task, String reason, long computeMs) {
        return new RunEvent(envelopes.causedBy(task.getEnvelope(), "cancelled", computeMs),
                new CellCancelled(task.getConfig().getCellId(), reason));
    }

    public RunEvent failed(CellTask task, String reason, boolean timedOut, boolean retryable, long computeMs) {
        return failed(task, reason, timedOut, retryable, computeMs, null);
    }

    private RunEvent failed(CellTask task, String reason, boolean timedOut, boolean retryable, long computeMs, String step) {
        return new RunEvent(envelopes.causedBy(task.getEnvelope(), "failed", computeMs),
                new CellFailed(task.getConfig().getCellId(), reason, timedOut, retryable, step));
    }

    /** Trains the cell, stopping when {@code stop} says so, and reports how it ended. */
    public RunEvent train(CellTask task, StopSignal stop) {
        long t0 = System.nanoTime();
        String cellId = task.getConfig().getCellId();
        String runId = task.getEnvelope().getRunId();
        int attempt = task.getEnvelope().getAttempt();
        try {
            Optional<ModelRegistry.CellResult> recorded = registry.result(runId, cellId, attempt);
            if (recorded.isPresent()) {
                // this attempt finished before (a redelivery, or a trainer killed after its checkpoint): report that
                return completed(task, recorded.get(), 0);
            }
            Splits splits = splits(task);
            CellPipeline.Result ran = CellPipeline.run(task.getConfig(), task.getFeatureNames(), splits.train(),
                    splits.validation(), () -> DatasetReader.read(sibling(task.getTrainSplit(), Split.TEST)), stop);
            CellTrainer.Trained trained = ran.trained();
            ModelRegistry.Checkpoint checkpoint = registry.register(runId, cellId, attempt, trained.model());
            ModelRegistry.CellResult result = registry.record(runId, cellId, attempt, new ModelRegistry.CellResult(
                    task.getEnvelope().getEventId(), checkpoint.uri(), checkpoint.checksum(), trained.validationLoss(),
                    trained.validationAccuracy(), trained.inferenceLatencyMicros(), trained.trainMs(), ran.steps()));
            return completed(task, result, elapsedMs(t0));
        } catch (CellPipeline.StepFailed e) {
            // the steps are deterministic for a fixed seed and dataset: the same step would fail the same way again
            return failed(task, e.getMessage(), false, false, elapsedMs(t0), e.step());
        } catch (CellInterrupted e) {
            return e.timedOut() ? failed(task, e.getMessage(), true, true, elapsedMs(t0))
                    : cancelled(task, e.getMessage(), elapsedMs(t0));
        } catch (CellTrainer.Diverged e) {
            return failed(task, e.getMessage(), false, false, elapsedMs(t0));
        } catch (UncheckedIOException e) {
            return failed(task, "cannot read the dataset or write the checkpoint: " + e.getMessage(), false, true, elapsedMs(t0));
        } catch (RuntimeException e) {
            // Training is deterministic for a fixed seed: the same cell would fail the same way again.
            return failed(task, "training failed: " + e, false, false, elapsedMs(t0));
        }
    }

    private RunEvent completed(CellTask task, ModelRegistry.CellResult result, long computeMs) {
        return new RunEvent(envelopes.causedBy(task.getEnvelope(), "completed", computeMs),
                new CellCompleted(task.getConfig().getCellId(), task.getConfig(), result.validationLoss(),
                        result.validationAccuracy(), result.inferenceLatencyMicros(), result.trainMs(),
                        result.checkpoint(), result.checksum(), result.steps().stream()
                        .map(st -> new CellStepResult(st.step(), st.metrics(), st.durationMs())).toList()));
    }

    private synchronized Splits splits(CellTask task) {
        Splits cached = datasets.get(task.getDatasetChecksum());
        if (cached != null) {
            return cached;
        }
        // The splits sit side by side under the dataset's location (a directory, or an S3 prefix): all three are hashed.
        String actual = DatasetWriter.checksum(Arrays.stream(Split.values())
                .map(split -> Artifacts.local(sibling(task.getTrainSplit(), split))).toList());
        if (!actual.equals(task.getDatasetChecksum())) {
            throw new IllegalStateException("dataset checksum " + actual + " does not match the published "
                    + task.getDatasetChecksum());
        }
        Splits splits = new Splits(DatasetReader.read(task.getTrainSplit()), DatasetReader.read(task.getValidationSplit()));
        datasets.put(task.getDatasetChecksum(), splits);
        return splits;
    }

    /** The split {@code split} beside the split file {@code splitUri}. */
    private static String sibling(String splitUri, Split split) {
        return splitUri.substring(0, splitUri.lastIndexOf('/') + 1) + DatasetWriter.fileName(split);
    }

    private static long elapsedMs(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
