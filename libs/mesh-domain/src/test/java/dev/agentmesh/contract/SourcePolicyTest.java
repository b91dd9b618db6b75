package dev.agentmesh.contract;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SourcePolicyTest {

    @Test
    void onlyRegularFilesUnderTheAllowedDirectoriesAreReadAndTheReasonNeverQuotesAFile(@TempDir Path tmp) throws Exception {
        Path allowed = Files.createDirectories(tmp.resolve("sources"));
        Path later = tmp.resolve("created-later");
        Path inside = Files.writeString(allowed.resolve("rows.csv"), "a,b\n1,2\n");
        Path secret = Files.writeString(tmp.resolve("id_ed25519"), "PRIVATE KEY MATERIAL\n");
        Path link = Files.createSymbolicLink(allowed.resolve("innocent.csv"), secret);
        SourcePolicy policy = SourcePolicy.within(List.of(allowed, later));

        assertEquals(inside.toRealPath(), policy.file(inside.toString()));
        for (String refused : List.of(secret.toString(), link.toString(), allowed + "/../id_ed25519", allowed.toString(),
                "/etc/passwd")) {
            var e = assertThrows(SourcePolicy.SourceRefusedException.class, () -> policy.file(refused), refused);
            assertTrue(e.getMessage().contains("not a file under the allowed source directories")
                    || e.getMessage().contains("does not exist"), e.getMessage());
            assertFalse(e.getMessage().contains("PRIVATE"), e.getMessage());
        }
        assertThrows(SourcePolicy.SourceRefusedException.class, () -> policy.file(tmp.resolve("missing.csv").toString()));

        // a directory configured before it exists allows its files once it does
        Path afterwards = Files.writeString(Files.createDirectories(later).resolve("late.csv"), "a\n1\n");
        assertEquals(afterwards.toRealPath(), policy.file(afterwards.toString()));
        assertEquals(Path.of(secret.toString()), SourcePolicy.anywhere().file(secret.toString()));
    }
}
