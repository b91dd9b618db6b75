package dev.agentmesh.contract;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a run's file source may be read from: only a regular file under one of the configured directories, symbolic
 * links resolved first, so a trigger cannot make a service read (and report on) a key, a password file or anything
 * else it can reach.
 */
public final class SourcePolicy {

    private final List<Path> roots;

    private SourcePolicy(List<Path> roots) {
        this.roots = roots;
    }

    /** Any readable file: for tests and for replays a person runs on their own machine. */
    public static SourcePolicy anywhere() {
        return new SourcePolicy(null);
    }

    /** Only files under {@code dirs} (resolved when a file is checked; one that does not exist allows nothing). */
    public static SourcePolicy within(List<Path> dirs) {
        return new SourcePolicy(List.copyOf(dirs));
    }

    private List<Path> realRoots() {
        List<Path> real = new ArrayList<>();
        for (Path dir : roots) {
            try {
                real.add(dir.toAbsolutePath().toRealPath());
            } catch (IOException e) {
                // a configured directory that does not exist allows nothing
            }
        }
        return real;
    }

    /**
     * The file {@code location} names, if the policy allows reading it.
     *
     * @throws SourceRefusedException naming the location only, never what the file holds
     */
    public Path file(String location) {
        Path path = Path.of(location);
        if (roots == null) {
            return path;
        }
        Path real;
        try {
            real = path.toAbsolutePath().toRealPath();
        } catch (IOException e) {
            throw new SourceRefusedException("source " + location + " does not exist or is not readable");
        }
        if (realRoots().stream().noneMatch(real::startsWith) || !Files.isRegularFile(real)) {
            throw new SourceRefusedException("source " + location + " is not a file under the allowed source directories"
                    + " (mesh.sources.allowed-dirs)");
        }
        return real;
    }

    public static class SourceRefusedException extends RuntimeException {
        public SourceRefusedException(String message) {
            super(message);
        }
    }
}
