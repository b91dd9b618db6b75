package dev.agentmesh.artifacts;

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
}
