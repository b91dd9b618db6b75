package dev.agentmesh.meshctl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ClassDataArchiveTest {

    @TempDir
    Path app;

    Path packaged(Instant built) throws Exception {
        Path jar = Files.writeString(app.resolve("quarkus-run.jar"), "jar");
        Files.createDirectories(app.resolve("app"));
        Path own = Files.writeString(app.resolve("app/service.jar"), "classes");
        Files.setLastModifiedTime(jar, FileTime.from(built));
        Files.setLastModifiedTime(own, FileTime.from(built));
        return jar;
    }

    @Test
    void aLaunchMapsTheArchiveOnlyWhenItIsNewerThanEveryJarItWasMadeFrom() throws Exception {
        Instant built = Instant.parse("2026-12-03T07:00:00Z");
        Path jar = packaged(built);
        assertEquals(List.of(), ClassDataArchive.options(jar), "no archive: a plain launch");

        Path archive = Files.writeString(app.resolve(ClassDataArchive.FILE), "archive");
        Files.setLastModifiedTime(archive, FileTime.from(built.plusSeconds(5)));
        assertEquals(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds*=error:stderr"), ClassDataArchive.options(jar));

        Files.setLastModifiedTime(app.resolve("app/service.jar"), FileTime.from(built.plusSeconds(60)));
        assertEquals(List.of(), ClassDataArchive.options(jar), "the service was rebuilt after its archive was made");
    }
}
