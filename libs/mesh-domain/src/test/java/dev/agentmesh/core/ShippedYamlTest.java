package dev.agentmesh.core;

import dev.agentmesh.contract.DataContract;
import dev.agentmesh.contract.SourcePolicy;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.team.GatePolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShippedYamlTest {

    @TempDir
    Path dir;

    @AfterEach
    void anywhereAgain() {
        ShippedYaml.filesFrom(Path::of);
    }

    @Test
    void aFileOutsideTheAllowedDirectoriesIsRefusedWithoutBeingRead() throws Exception {
        Path allowed = Files.createDirectories(dir.resolve("allowed"));
        Path secret = Files.writeString(Files.createDirectories(dir.resolve("etc")).resolve("app.yaml"),
                "db:\n  password: SECRET-VALUE\nmax_rejected_fraction: SECRET-TOO\n");
        ShippedYaml.filesFrom(SourcePolicy.within(List.of(allowed))::file);

        for (Runnable load : List.<Runnable>of(() -> DataContract.load(secret.toString()),
                () -> SweepGrid.load(secret.toString()), () -> GatePolicy.load(secret.toString()))) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, load::run);
            assertTrue(refused.getMessage().contains("file refused") && refused.getMessage().contains("allowed"),
                    refused.getMessage());
            assertFalse(refused.getMessage().contains("SECRET") || refused.getMessage().contains("password")
                    || refused.getMessage().contains("db"), refused.getMessage());
        }
        Path link = Files.createSymbolicLink(allowed.resolve("innocent.yaml"), secret);
        assertThrows(IllegalArgumentException.class, () -> DataContract.load(link.toString()), "a link out is refused too");
    }

    @Test
    void aFileInsideTheAllowedDirectoriesIsRead() throws Exception {
        String shipped = new String(ShippedYaml.class.getResourceAsStream("/contracts/credit-g.yaml").readAllBytes());
        Path contract = Files.writeString(dir.resolve("mine.yaml"), shipped);
        ShippedYaml.filesFrom(SourcePolicy.within(List.of(dir))::file);
        assertEquals("credit-g", DataContract.load(contract.toString()).name());
    }

    @Test
    void aNameIsAShippedFileNeverAPathOnTheClasspath() {
        for (String name : List.of("../contracts/credit-g", "contracts/../contracts/credit-g", "/etc/passwd", "..")) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> DataContract.load(name));
            assertTrue(refused.getMessage().startsWith("no data contract named"), refused.getMessage());
        }
        assertEquals("credit-g", DataContract.load("credit-g").name());
    }

    @Test
    void onlyYamlFileNamesArePaths() {
        assertTrue(ShippedYaml.isPath("a/b.yaml"));
        assertTrue(ShippedYaml.isPath("b.yml"));
        assertFalse(ShippedYaml.isPath("credit-g"));
        assertFalse(ShippedYaml.isPath("b.csv"));
    }
}
