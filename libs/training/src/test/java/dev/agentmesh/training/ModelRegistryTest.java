package dev.agentmesh.training;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Models are identified by their contract's name, wherever its file lies. */
class ModelRegistryTest {

    @TempDir
    Path dir;

    static final String CONTRACT = "name: clinic\nversion: 1\nlabel: Outcome\ncolumns:\n"
            + "  - {name: Glucose, type: integer, required: true}\n"
            + "  - {name: Outcome, type: category, required: true, allowed: ['0', '1']}\n";

    @Test
    void aContractFileThatMovesKeepsItsProductionAlias() throws Exception {
        Path first = Files.writeString(Files.createDirectories(dir.resolve("old")).resolve("clinic.yaml"), CONTRACT);
        ModelRegistry registry = new ModelRegistry(dir.resolve("artifacts"));
        registry.promote(first.toString(), "production", "file:///ckpt-1", "abc", "run-1", "file:///data", Instant.now());

        Path moved = Files.move(first, Files.createDirectories(dir.resolve("new")).resolve("renamed.yaml"));
        assertEquals("file:///ckpt-1", registry.alias(moved.toString(), "production").orElseThrow().checkpoint(),
                "the same contract at another path");
        assertEquals("file:///ckpt-1", registry.alias("clinic", "production").orElseThrow().checkpoint(), "and by its name");
        assertTrue(registry.alias(first.toString(), "other").isEmpty());
        assertEquals("clinic", ModelRegistry.modelName(first.toString()), "a path whose file is gone: its file name");
        assertEquals("credit-g", ModelRegistry.modelName("credit-g"));
    }
}
