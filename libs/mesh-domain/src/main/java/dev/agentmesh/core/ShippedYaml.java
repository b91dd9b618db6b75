package dev.agentmesh.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.regex.Pattern;

/** YAML the mesh ships on its classpath ({@code /<folder>/<name>.yaml}) or that a user names by file path. */
public final class ShippedYaml {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    /** Where a named file may be read: anywhere by default (the CLI); a service narrows it at startup. */
    private static volatile Function<String, Path> files = Path::of;

    private ShippedYaml() {
    }

    /**
     * Files named by path are read only where {@code policy} allows: it returns the file to read, or throws with a
     * reason that names the path only (a service reading paths that arrive in events must not read what it can reach).
     */
    public static void filesFrom(Function<String, Path> policy) {
        files = policy;
    }

    /** Whether {@code nameOrPath} names a file (a path ending in .yaml or .yml) rather than one the mesh ships. */
    public static boolean isPath(String nameOrPath) {
        return nameOrPath.endsWith(".yaml") || nameOrPath.endsWith(".yml");
    }

    /**
     * @param what what the file is, for the error message ("data contract", "sweep grid")
     * @param read parses the stream
     */
    public static <T> T load(String folder, String nameOrPath, String what, Function<InputStream, T> read) {
        if (isPath(nameOrPath)) {
            Path path;
            try {
                path = files.apply(nameOrPath);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(what + " file refused: " + e.getMessage());
            }
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException("no " + what + " file " + path.toAbsolutePath().normalize());
            }
            try (InputStream in = Files.newInputStream(path)) {
                return read.apply(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (!NAME.matcher(nameOrPath).matches() || nameOrPath.contains("..")) {
            throw new IllegalArgumentException("no " + what + " named '" + nameOrPath + "': a name is letters, digits, '.',"
                    + " '_' and '-'; a file's path ends in .yaml");
        }
        try (InputStream in = ShippedYaml.class.getResourceAsStream("/" + folder + "/" + nameOrPath + ".yaml")) {
            if (in == null) {
                throw new IllegalArgumentException("no " + what + " named '" + nameOrPath + "': give the name of one the"
                        + " mesh ships (" + folder + "/ on the classpath) or the path of a .yaml file");
            }
            return read.apply(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
