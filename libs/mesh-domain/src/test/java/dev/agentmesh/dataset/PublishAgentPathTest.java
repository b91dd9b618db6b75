package dev.agentmesh.dataset;

import dev.agentmesh.core.Envelopes;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PublishAgentPathTest {

    @Test
    void aRunsDatasetStaysUnderTheDatasetsDirectoryWhateverItsRunIdSays() {
        Path root = Path.of("/srv/artifacts");
        PublishAgent agent = new PublishAgent(new Envelopes("publisher", "test"), root);
        assertEquals(root.resolve("datasets/nightly-1"), agent.datasetDirectory("nightly-1"));
        for (String hostile : List.of("../../../etc", "..", "/tmp/x", "a/../../b")) {
            assertEquals(root.resolve("datasets"), agent.datasetDirectory(hostile).normalize().getParent(), hostile);
        }
    }
}
