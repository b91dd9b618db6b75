package dev.agentmesh.artifacts.s3;

import dev.agentmesh.artifacts.Artifacts;
import dev.agentmesh.contract.DataContract;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.data.Split;
import dev.agentmesh.dataset.DatasetReader;
import dev.agentmesh.dataset.DatasetWriter;
import dev.agentmesh.features.FeatureStats;
import dev.agentmesh.dataset.LocalDataset;
import dev.agentmesh.testing.EmbeddedS3;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The S3 store against S3Proxy, a real S3 API server, in-process on a transient blob store. */
class S3ArtifactStoreTest {

    static EmbeddedS3 s3;
    static S3ArtifactStore store;
    static final Path CREDIT_G = Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"), "credit-g.csv");

    @BeforeAll
    static void start(@TempDir Path cache) throws Exception {
        s3 = EmbeddedS3.start("mesh-artifacts");
        store = new S3ArtifactStore(new S3ArtifactStore.Settings(s3.endpoint(), s3.bucket(), "us-east-1",
                EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY, true), cache);
        Artifacts.register(store);
    }

    @AfterAll
    static void stop() throws Exception {
        store.close();
        s3.close();
    }

    @Test
    void aPublishedDatasetIsReadBackThroughItsS3UrisWithItsChecksum(@TempDir Path work) {
        LocalDataset.Published local = LocalDataset.publish(CREDIT_G, DataContract.load("credit-g"), work.resolve("ds"), "run-s3");
        String location = store.publish(local.written().directory(), "datasets/run-s3");
        assertEquals("s3://mesh-artifacts/datasets/run-s3/", location);

        String trainUri = location + DatasetWriter.fileName(Split.TRAIN);
        assertTrue(Artifacts.exists(trainUri));
        List<DatasetRow> train = DatasetReader.read(trainUri);
        assertEquals(local.written().counts().get(Split.TRAIN).longValue(), train.size());
        List<Path> copies = List.of(Split.values()).stream()
                .map(s -> Artifacts.local(location + DatasetWriter.fileName(s))).toList();
        assertEquals(local.written().checksum(), DatasetWriter.checksum(copies), "the bytes read back are the bytes published");
        assertEquals(local.schema().standardisation().keySet(), FeatureStats.read(location).keySet(),
                "the feature statistics travel with the dataset");
    }

    @Test
    void aMissingArtifactIsReportedNotInvented() {
        assertFalse(Artifacts.exists("s3://mesh-artifacts/datasets/none/train.avro"));
        assertTrue(FeatureStats.read("s3://mesh-artifacts/datasets/none/").isEmpty());
        assertThrows(IllegalStateException.class, () -> DatasetReader.read("s3://mesh-artifacts/datasets/none/train.avro"));
    }
}
