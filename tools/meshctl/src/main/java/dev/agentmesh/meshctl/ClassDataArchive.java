package dev.agentmesh.meshctl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

/**
 * A service's class-data archive (JDK dynamic AppCDS), which the build records beside the packaged jar
 * ({@code services/pom.xml}): a launch maps the classes start-up needs instead of loading, parsing and verifying each
 * one again (the demo used 0.91× the CPU with them). The JVM checks the archive against the jars it was made from and runs
 * without it when they differ; an archive older than the jars is not offered at all.
 */
final class ClassDataArchive {

    static final String FILE = "mesh-cds.jsa";
    /** Set to {@code off} to launch without archives (to compare). */
    static final String SWITCH = "MESH_CDS";

    private ClassDataArchive() {
    }

    /** The JVM options that map {@code jar}'s archive, or none when there is no current one. */
    static List<String> options(Path jar) {
        Path archive = jar.resolveSibling(FILE);
        if ("off".equalsIgnoreCase(System.getenv(SWITCH)) || !current(archive, jar)) {
            return List.of();
        }
        // the archive's notices (such as a JDK other than the build's) would fill the service's log
        return List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds*=error:stderr");
    }

    static boolean current(Path archive, Path jar) {
        if (!Files.isRegularFile(archive)) {
            return false;
        }
        try (Stream<Path> app = Files.list(jar.resolveSibling("app"))) {
            FileTime made = Files.getLastModifiedTime(archive);
            return Stream.concat(Stream.of(jar), app).allMatch(p -> {
                try {
                    return Files.getLastModifiedTime(p).compareTo(made) <= 0;
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (IOException e) {
            return false;
        }
    }
}
