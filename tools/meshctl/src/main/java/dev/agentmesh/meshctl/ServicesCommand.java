package dev.agentmesh.meshctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * The processes of a mesh started by {@code meshctl demo} or {@code meshctl up} on this machine, as its supervisor
 * lists them in {@code services.json}: list them, or restart one (it is stopped, and the supervisor starts it again).
 */
@Command(name = "services", mixinStandardHelpOptions = true, description = "The running mesh's service processes.",
        subcommands = {ServicesCommand.ListServices.class, ServicesCommand.Restart.class})
public class ServicesCommand {

    private static final ObjectMapper JSON = new ObjectMapper();

    static class Mesh {
        @Option(names = "--work-dir", description = "The mesh's work directory (default: the newest live one under .mesh/).")
        Path workDir;

        JsonNode state() {
            Path file = (workDir != null ? Optional.of(workDir) : newestLive())
                    .map(d -> d.resolve(MeshServices.STATE_FILE))
                    .orElseThrow(() -> new IllegalStateException("no running mesh under " + root()
                            + " (start one with ./meshctl up or ./meshctl demo --keep-running)"));
            try {
                return JSON.readTree(file.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }

        private static Path root() {
            return MeshServices.repoRoot().resolve(".mesh");
        }

        /** The newest work directory whose owner process is still alive. */
        private static Optional<Path> newestLive() {
            if (!Files.isDirectory(root())) {
                return Optional.empty();
            }
            try (Stream<Path> dirs = Files.list(root())) {
                return dirs.filter(d -> Files.isRegularFile(d.resolve(MeshServices.STATE_FILE)))
                        .filter(d -> ownerAlive(d.resolve(MeshServices.STATE_FILE)))
                        .max(Comparator.comparing(d -> d.resolve(MeshServices.STATE_FILE).toFile().lastModified()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static boolean ownerAlive(Path file) {
            try {
                return ProcessHandle.of(JSON.readTree(file.toFile()).path("owner").asLong()).map(ProcessHandle::isAlive).orElse(false);
            } catch (IOException e) {
                return false;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every service process: pid, state, URL, restarts.")
    static class ListServices implements Callable<Integer> {
        @Mixin
        Mesh mesh;

        @Override
        public Integer call() {
            System.out.printf("%-22s %-8s %-6s %-24s %s%n", "NAME", "PID", "STATE", "URL", "RESTARTS");
            for (JsonNode s : mesh.state().path("services")) {
                boolean alive = ProcessHandle.of(s.path("pid").asLong()).map(ProcessHandle::isAlive).orElse(false);
                System.out.printf("%-22s %-8d %-6s %-24s %d%n", s.path("name").asText(), s.path("pid").asLong(),
                        alive ? "up" : "down", s.path("url").asText(), s.path("restarts").asInt());
            }
            return 0;
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true,
            description = "Stop a service process; the mesh's supervisor starts it again (same port, same config).")
    static class Restart implements Callable<Integer> {
        @Mixin
        Mesh mesh;

        @Parameters(index = "0", description = "The service's name, as `services list` shows it.")
        String name;

        @Override
        public Integer call() {
            for (JsonNode s : mesh.state().path("services")) {
                if (s.path("name").asText().equals(name)) {
                    long pid = s.path("pid").asLong();
                    boolean stopped = ProcessHandle.of(pid).map(ProcessHandle::destroy).orElse(false);
                    System.out.println(stopped ? "stopped " + name + " (pid " + pid + "); the supervisor starts it again"
                            : name + " (pid " + pid + ") was not running; the supervisor starts it again");
                    return 0;
                }
            }
            System.err.println("no service " + name + " in this mesh");
            return 2;
        }
    }
}
