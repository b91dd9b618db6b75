package dev.agentmesh.artifacts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/** The default store: files are published where they were written; a {@code file:} URI is its own local copy. */
public final class LocalArtifactStore implements ArtifactStore {

    public static final LocalArtifactStore INSTANCE = new LocalArtifactStore();

    private LocalArtifactStore() {
    }

    @Override
    public String scheme() {
        return "file";
    }

    @Override
    public String publish(Path localDirectory, String prefix) {
        return localDirectory.toAbsolutePath().normalize().toUri().toString();
    }

    @Override
    public Path local(String uri) {
        return uri.startsWith("file:") ? Path.of(URI.create(uri)) : Path.of(uri);
    }

    @Override
    public boolean exists(String uri) {
        return Files.isRegularFile(local(uri));
    }

    /** The filesystem store's root is the working directory: {@code key} is a path. */
    @Override
    public String uri(String key) {
        return Path.of(key).toAbsolutePath().normalize().toUri().toString();
    }

    @Override
    public Optional<String> readDocument(String uri) {
        Path file = local(uri);
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + uri + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void writeDocument(String uri, String text) {
        Path file = local(uri);
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + uri + ": " + e.getMessage(), e);
        }
    }
}
