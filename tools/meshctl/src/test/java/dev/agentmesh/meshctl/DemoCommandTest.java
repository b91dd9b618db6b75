package dev.agentmesh.meshctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code meshctl demo} and {@code up} refuse before they start a broker or a service. */
class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void aDemoWithNoTrainerIsRefusedAtTheDoor() throws Exception {
        Path csv = Files.writeString(dir.resolve("rows.csv"), "a,b\n1,2\n");
        String err = refused("demo", "--source", csv.toString(), "--trainers", "0");
        assertTrue(err.contains("--trainers must be at least 1, not 0"), err);
        assertTrue(Files.notExists(MeshServices.repoRoot().resolve(".mesh").resolve("demo-" + ProcessHandle.current().pid())),
                "no work directory, so no broker");
    }

    @Test
    void aMeshWithNoTrainerIsRefusedAtTheDoor() {
        String err = refused("up", "--trainers", "0");
        assertTrue(err.contains("mesh not started") && err.contains("--trainers must be at least 1, not 0"), err);
    }

    @Test
    void aDemoOnAMissingSourceIsRefusedAtTheDoor() {
        String err = refused("demo", "--source", dir.resolve("absent.csv").toString());
        assertTrue(err.contains("absent.csv"), err);
    }

    private static String refused(String... args) {
        PrintStream before = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = MeshCtl.commandLine().execute(args);
        } finally {
            System.setErr(before);
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(DoorChecks.REFUSED, code, text);
        return text;
    }
}
