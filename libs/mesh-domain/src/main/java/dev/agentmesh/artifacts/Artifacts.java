package dev.agentmesh.artifacts;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves artifact URIs to local paths by scheme: {@code file:} (and plain paths) always, others once a store for
 * them is registered (a service configured with an S3-compatible store registers it at startup).
 */
public final class Artifacts {

    private static final Map<String, ArtifactStore> STORES = new ConcurrentHashMap<>(Map.of("file", LocalArtifactStore.INSTANCE));

    private Artifacts() {
    }

    public static void register(ArtifactStore store) {
        STORES.put(store.scheme(), store);
    }

    public static ArtifactStore storeFor(String uri) {
        int colon = uri.indexOf(':');
        String scheme = colon > 1 ? uri.substring(0, colon) : "file";
        ArtifactStore store = STORES.get(scheme);
        if (store == null) {
            throw new IllegalStateException("no artifact store for '" + scheme + ":' URIs is configured (" + uri + ")");
        }
        return store;
    }

    public static Path local(String uri) {
        return storeFor(uri).local(uri);
    }

    public static boolean exists(String uri) {
        return storeFor(uri).exists(uri);
    }
}
