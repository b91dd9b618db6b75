package dev.agentmesh.artifacts;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where published artifacts (dataset files) live: the local filesystem by default, or an S3-compatible object
 * store set by configuration. Writers produce files locally and publish them; readers get a local path for a URI.
 */
public interface ArtifactStore {

    /** URI scheme of this store's artifacts ({@code file}, {@code s3}). */
    String scheme();

    /** Publishes every regular file in {@code localDirectory} under {@code prefix}; returns the URI of the prefix, ending in '/'. */
    String publish(Path localDirectory, String prefix);

    /** A local path with the bytes of the artifact at {@code uri} (downloaded and cached if remote). */
    Path local(String uri);

    /** Whether an artifact exists at {@code uri}. */
    boolean exists(String uri);

    /** The URI of the artifact at {@code key}, a path relative to this store's root. */
    String uri(String key);

    /** The current text of a small mutable document (a model alias) at {@code uri}, read fresh, never cached. */
    Optional<String> readDocument(String uri);

    /** Replaces the document at {@code uri} in one step: a reader sees the old text or the new, never a mix. */
    void writeDocument(String uri, String text);
}
