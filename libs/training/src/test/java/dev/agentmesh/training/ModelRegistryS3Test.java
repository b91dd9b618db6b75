package dev.agentmesh.training;

import dev.agentmesh.artifacts.Artifacts;
import dev.agentmesh.artifacts.s3.S3ArtifactStore;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.dataset.DatasetReader;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.dataset.LocalDataset;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.sweep.CellConfig;
import dev.agentmesh.testing.EmbeddedS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tribuo.Model;
import org.tribuo.classification.Label;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Checkpoints and aliases in an S3-compatible store (S3Proxy, in-process): a trainer's checkpoint is published to the
 * bucket, and another process (another local root, another cache) loads it and reads the alias the coordinator moved.
 */
class ModelRegistryS3Test {

    static final Path CREDIT_G = Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"), "credit-g.csv");
    static EmbeddedS3 s3;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        s3 = EmbeddedS3.start("mesh-models");
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
    }

    static S3ArtifactStore store(Path cache) {
        return new S3ArtifactStore(new S3ArtifactStore.Settings(s3.endpoint(), s3.bucket(), "us-east-1",
                EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY, true), cache);
    }

    @Test
    void aCheckpointPublishedByOneProcessLoadsInAnotherAndTheAliasIsShared() {
        LocalDataset.Published published = LocalDataset.publish(CREDIT_G, DataContract.load("credit-g"), dir.resolve("ds"), "r1");
        List<DatasetRow> train = DatasetReader.read(published.announcement().getSplits().get("train"));
        List<DatasetRow> validation = DatasetReader.read(published.announcement().getSplits().get("validation"));
        CellConfig config = new CellConfig("logistic-lr0.1-b16", "logistic", SweepGrid.LOGISTIC, 0, 0.1, 16, 3, 42L, List.of(), null);
        CellTrainer.Trained trained = CellTrainer.train(config, published.schema().names(), train, validation, StopSignal.NEVER);

        // the trainer's pod
        ModelRegistry trainer = new ModelRegistry(dir.resolve("trainer"), store(dir.resolve("trainer-cache")));
        ModelRegistry.Checkpoint checkpoint = trainer.register("r1", config.getCellId(), 1, trained.model());
        assertTrue(checkpoint.uri().matches("s3://mesh-models/models/r1/logistic-lr0.1-b16/attempt-1/model-[0-9a-f-]+\\.ser"), checkpoint.uri());

        // the coordinator's pod: its own root and cache; s3:// URIs resolve through its registered store
        S3ArtifactStore coordinatorStore = store(dir.resolve("coordinator-cache"));
        Artifacts.register(coordinatorStore);
        ModelRegistry coordinator = new ModelRegistry(dir.resolve("coordinator"), coordinatorStore);
        Model<Label> loaded = ModelRegistry.load(checkpoint.uri(), checkpoint.checksum());
        assertEquals(trained.model().getProvenance().toString(), loaded.getProvenance().toString());
        assertFalse(Files.exists(dir.resolve("coordinator").resolve("models")), "nothing read from another pod's disk");
        assertThrows(IllegalStateException.class, () -> ModelRegistry.load(checkpoint.uri(), "sha256:00"),
                "a checksum that does not match is refused");

        assertTrue(coordinator.alias("credit-g", "production").isEmpty());
        coordinator.promote("credit-g", "production", checkpoint.uri(), checkpoint.checksum(), "r1", "s3://d/", Instant.EPOCH);
        ModelRegistry.Checkpoint second = trainer.register("r2", config.getCellId(), 1, trained.model());
        ModelRegistry.AliasTarget moved = coordinator.promote("credit-g", "production", second.uri(), second.checksum(), "r2",
                "s3://d2/", Instant.EPOCH.plusSeconds(60));
        assertEquals(checkpoint.uri(), moved.previousCheckpoint(), "the rollback target is remembered");

        // a specialist's pod reads the alias fresh from the bucket (no stale cached copy)
        ModelRegistry specialist = new ModelRegistry(dir.resolve("specialist"), store(dir.resolve("specialist-cache")));
        assertEquals(second.uri(), specialist.alias("credit-g", "production").orElseThrow().checkpoint());
        coordinator.promote("credit-g", "production", checkpoint.uri(), checkpoint.checksum(), "r1", "s3://d/", Instant.EPOCH.plusSeconds(120));
        assertEquals(checkpoint.uri(), specialist.alias("credit-g", "production").orElseThrow().checkpoint());
        assertTrue(Artifacts.exists(second.uri()));
        assertFalse(Artifacts.exists("s3://mesh-models/models/r9/none/attempt-1/model.ser"));
    }

    @Test
    void aTrainerTrainsACellFromADatasetInTheBucketAndPublishesItsCheckpointThere() {
        S3ArtifactStore trainerStore = store(dir.resolve("cell-trainer-cache"));
        Artifacts.register(trainerStore);
        LocalDataset.Published local = LocalDataset.publish(CREDIT_G, DataContract.load("credit-g"), dir.resolve("ds-cell"), "r3");
        String location = trainerStore.publish(local.written().directory(), "datasets/r3");
        CellConfig config = new CellConfig("logistic-lr0.1-b16", "logistic", SweepGrid.LOGISTIC, 0, 0.1, 16, 3, 42L, List.of(), null);
        dev.agentmesh.sweep.CellTask task = new dev.agentmesh.sweep.CellTask(
                new dev.agentmesh.core.Envelopes("sweep-orchestrator", "o").origin("r3", "g"), config,
                location + dev.agentmesh.dataset.DatasetWriter.fileName(dev.agentmesh.data.Split.TRAIN),
                location + dev.agentmesh.dataset.DatasetWriter.fileName(dev.agentmesh.data.Split.VALIDATION),
                local.announcement().getChecksum(), local.schema().names(), 60_000L);
        TrainingAgent agent = new TrainingAgent(new dev.agentmesh.core.Envelopes("trainer", "t"),
                new ModelRegistry(dir.resolve("cell-trainer"), trainerStore));
        dev.agentmesh.run.RunEvent outcome = agent.train(task, StopSignal.NEVER);
        dev.agentmesh.sweep.CellCompleted completed = assertInstanceOf(dev.agentmesh.sweep.CellCompleted.class, outcome.getPayload(),
                () -> String.valueOf(outcome.getPayload()));
        assertTrue(task.getTrainSplit().startsWith("s3://mesh-models/datasets/r3/"), task.getTrainSplit());
        assertTrue(completed.getCheckpoint().matches("s3://mesh-models/models/r3/logistic-lr0.1-b16/attempt-1/model-[0-9a-f-]+\\.ser"),
                completed.getCheckpoint());
        assertNotNull(ModelRegistry.load(completed.getCheckpoint(), completed.getCheckpointChecksum()));

        // The same attempt again on another trainer pod (a redelivery after a kill): it reports the recorded result,
        // the same event, and the bytes the log names are untouched (serialised models differ run to run).
        TrainingAgent again = new TrainingAgent(new dev.agentmesh.core.Envelopes("trainer", "t2"),
                new ModelRegistry(dir.resolve("cell-trainer-2"), store(dir.resolve("cell-trainer-2-cache"))));
        dev.agentmesh.run.RunEvent repeated = again.train(task, StopSignal.NEVER);
        dev.agentmesh.sweep.CellCompleted second = assertInstanceOf(dev.agentmesh.sweep.CellCompleted.class, repeated.getPayload());
        assertEquals(outcome.getEnvelope().getEventId(), repeated.getEnvelope().getEventId());
        assertEquals(completed.getCheckpoint(), second.getCheckpoint());
        assertEquals(completed.getCheckpointChecksum(), second.getCheckpointChecksum());
        assertEquals(completed.getTrainMs(), second.getTrainMs());
        assertNotNull(ModelRegistry.load(second.getCheckpoint(), second.getCheckpointChecksum()));

        dev.agentmesh.sweep.CellTask tampered = dev.agentmesh.sweep.CellTask.newBuilder(task).setDatasetChecksum("sha256:00")
                .setEnvelope(dev.agentmesh.common.Envelope.newBuilder(task.getEnvelope()).setAttempt(2).build()).build();
        TrainingAgent fresh = new TrainingAgent(new dev.agentmesh.core.Envelopes("trainer", "t2"),
                new ModelRegistry(dir.resolve("cell-trainer-2"), trainerStore));
        dev.agentmesh.sweep.CellFailed failed = assertInstanceOf(dev.agentmesh.sweep.CellFailed.class,
                fresh.train(tampered, StopSignal.NEVER).getPayload());
        assertTrue(failed.getReason().contains("does not match the published"), failed.getReason());
    }
}
