package dev.agentmesh.training;

import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.sweep.CellConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tribuo.Model;
import org.tribuo.classification.Label;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class CellTrainerTest {

    @TempDir
    static Path dir;
    static List<String> names;
    static List<DatasetRow> train;
    static List<DatasetRow> validation;

    @BeforeAll
    static void publishCreditG() {
        CreditGSplits creditG = CreditGSplits.publish(dir.resolve("ds"));
        names = creditG.names();
        train = creditG.train();
        validation = creditG.validation();
    }

    static CellConfig cell(String kind, int factors, double lr, int batch) {
        return new CellConfig("c", kind, kind, factors, lr, batch, 5, 42L, List.of(), null);
    }

    @Test
    void theSameCellOnTheSameRowsGivesTheSameLoss() {
        for (CellConfig c : List.of(cell(SweepGrid.LOGISTIC, 0, 0.1, 16), cell(SweepGrid.FACTORIZATION_MACHINE, 4, 0.03, 64))) {
            CellTrainer.Trained a = CellTrainer.train(c, names, train, validation, StopSignal.NEVER);
            CellTrainer.Trained b = CellTrainer.train(c, names, train, validation, StopSignal.NEVER);
            assertEquals(a.validationLoss(), b.validationLoss(), 0.0, c.getKind());
            assertTrue(a.validationLoss() > 0.3 && a.validationLoss() < 0.8, "a real model on credit-g: " + a.validationLoss());
            assertTrue(a.validationAccuracy() > 0.6, "better than always 'bad': " + a.validationAccuracy());
            assertTrue(a.inferenceLatencyMicros() > 0);
        }
    }

    @Test
    void theLearningRateAndBatchSizeAreTheCells() {
        double base = CellTrainer.train(cell(SweepGrid.LOGISTIC, 0, 0.1, 16), names, train, validation, StopSignal.NEVER).validationLoss();
        double otherRate = CellTrainer.train(cell(SweepGrid.LOGISTIC, 0, 0.01, 16), names, train, validation, StopSignal.NEVER).validationLoss();
        double otherBatch = CellTrainer.train(cell(SweepGrid.LOGISTIC, 0, 0.1, 64), names, train, validation, StopSignal.NEVER).validationLoss();
        assertNotEquals(base, otherRate);
        assertNotEquals(base, otherBatch);
    }

    @Test
    void aStopSignalInterruptsTrainingWithinAMinibatch() {
        AtomicInteger steps = new AtomicInteger();
        StopSignal afterTenSteps = () -> steps.incrementAndGet() > 10
                ? Optional.of(new CellInterrupted("cancelled: race won", false)) : Optional.empty();
        CellInterrupted stopped = assertThrows(CellInterrupted.class, () -> CellTrainer.train(
                cell(SweepGrid.LOGISTIC, 0, 0.1, 16), names, train, validation, afterTenSteps));
        assertEquals("cancelled: race won", stopped.getMessage());
        // 700 training rows / batch 16 = 44 steps an epoch, 5 epochs: it stopped long before the end.
        assertEquals(11, steps.get(), "one check before training, then one per minibatch: stopped before the 11th step");
    }

    @Test
    void anAbsurdLearningRateDivergesAndSaysSo() {
        CellTrainer.Diverged diverged = assertThrows(CellTrainer.Diverged.class, () -> CellTrainer.train(
                cell(SweepGrid.FACTORIZATION_MACHINE, 4, 1e300, 16), names, train, validation, StopSignal.NEVER));
        assertTrue(diverged.getMessage().startsWith("diverged"), diverged.getMessage());
    }

    @Test
    void aCheckpointLoadsBackOnlyWithItsChecksum() {
        CellTrainer.Trained trained = CellTrainer.train(cell(SweepGrid.FACTORIZATION_MACHINE, 4, 0.1, 16), names, train,
                validation, StopSignal.NEVER);
        ModelRegistry.Checkpoint checkpoint = new ModelRegistry(dir).register("run/1", "fm4-lr0.1-b16", 1, trained.model());
        assertTrue(checkpoint.uri().contains("/models/run_1/fm4-lr0.1-b16/attempt-1/"));
        Model<Label> loaded = ModelRegistry.load(checkpoint.uri(), checkpoint.checksum());
        var example = CellTrainer.example(validation.get(0), names.toArray(String[]::new));
        assertEquals(trained.model().predict(example).getOutput().getScore(), loaded.predict(example).getOutput().getScore(), 0.0);
        assertThrows(IllegalStateException.class, () -> ModelRegistry.load(checkpoint.uri(), "sha256:00"));
        Path file = Path.of(java.net.URI.create(checkpoint.uri()));
        assertTrue(Files.isRegularFile(file.resolveSibling(file.getFileName().toString().replace(".ser", ".sha256"))));
    }

    @Test
    void anAttemptWithARecordedResultKeepsItsCheckpointAndAConcurrentWriteNeverOverwritesIt() throws Exception {
        ModelRegistry registry = new ModelRegistry(dir.resolve("write-once"));
        CellConfig config = cell(SweepGrid.LOGISTIC, 0, 0.1, 16);
        ModelRegistry.Checkpoint first = registry.register("r2", "c", 1, CellTrainer.train(config, names, train, validation,
                StopSignal.NEVER).model());
        // a second writer of the same attempt (a redelivered task racing the first) gets a file of its own
        ModelRegistry.Checkpoint racing = registry.register("r2", "c", 1, CellTrainer.train(config, names, train, validation,
                StopSignal.NEVER).model());
        assertNotEquals(first.uri(), racing.uri());
        ModelRegistry.CellResult recorded = registry.record("r2", "c", 1,
                new ModelRegistry.CellResult("e1", first.uri(), first.checksum(), 0.5, 0.7, 10, 100, List.of()));
        ModelRegistry.CellResult later = registry.record("r2", "c", 1,
                new ModelRegistry.CellResult("e1", racing.uri(), racing.checksum(), 0.5, 0.7, 10, 120, List.of()));
        assertEquals(recorded, later, "the first recorded result stands");
        ModelRegistry.Checkpoint afterwards = registry.register("r2", "c", 1, CellTrainer.train(config, names, train,
                validation, StopSignal.NEVER).model());
        assertEquals(first, afterwards, "an attempt with a recorded result is not written again");
        assertEquals(first.checksum(), ModelRegistry.sha256(Path.of(java.net.URI.create(first.uri()))));
        assertNotNull(ModelRegistry.load(first.uri(), first.checksum()));
    }
}
