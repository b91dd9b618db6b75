package dev.agentmesh.artifacts;

import java.nio.file.Path;

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
}
