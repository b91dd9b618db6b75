package dev.agentmesh.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/** YAML the mesh ships on its classpath ({@code /<folder>/<name>.yaml}) or that a user names by file path. */
public final class ShippedYaml {

    private ShippedYaml() {
    }

    /**
     * @param what what the file is, for the error message ("data contract", "sweep grid")
     * @param read parses the stream
     */
    public static <T> T load(String folder, String nameOrPath, String what, Function<InputStream, T> read) {
        Path path = Path.of(nameOrPath);
        if ((nameOrPath.endsWith(".yaml") || nameOrPath.endsWith(".yml")) && !Files.isRegularFile(path)) {
            throw new IllegalArgumentException("no " + what + " file " + path.toAbsolutePath().normalize());
        }
        if (nameOrPath.endsWith(".yaml") || nameOrPath.endsWith(".yml")) {
            try (InputStream in = Files.newInputStream(path)) {
                return read.apply(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
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
