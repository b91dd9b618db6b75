package dev.agentmesh.service;

import dev.agentmesh.artifacts.ArtifactStore;
import dev.agentmesh.artifacts.Artifacts;
import dev.agentmesh.artifacts.LocalArtifactStore;
import dev.agentmesh.artifacts.s3.S3ArtifactStore;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The artifact store this service publishes to and reads from: the local filesystem by default, an S3-compatible
 * bucket when {@code mesh.artifacts.s3.bucket} is set. Registered at startup so {@code s3://} URIs resolve anywhere.
 */
@ApplicationScoped
@Startup
public class ArtifactStores {

    private static final Logger LOG = Logger.getLogger(ArtifactStores.class);

    private final ArtifactStore store;

    public ArtifactStores(@ConfigProperty(name = "mesh.artifacts.dir", defaultValue = "artifacts") Path artifacts,
                          @ConfigProperty(name = "mesh.artifacts.s3.bucket") Optional<String> bucket,
                          @ConfigProperty(name = "mesh.artifacts.s3.endpoint") Optional<String> endpoint,
                          @ConfigProperty(name = "mesh.artifacts.s3.region", defaultValue = "us-east-1") String region,
                          @ConfigProperty(name = "mesh.artifacts.s3.access-key") Optional<String> accessKey,
                          @ConfigProperty(name = "mesh.artifacts.s3.secret-key") Optional<String> secretKey,
                          @ConfigProperty(name = "mesh.artifacts.s3.path-style", defaultValue = "true") boolean pathStyle) {
        if (bucket.filter(b -> !b.isBlank()).isPresent()) {
            S3ArtifactStore s3 = new S3ArtifactStore(new S3ArtifactStore.Settings(endpoint.orElse(null), bucket.get(), region,
                    accessKey.orElse(null), secretKey.orElse(null), pathStyle), artifacts.resolve(".s3-cache"));
            Artifacts.register(s3);
            this.store = s3;
            LOG.infof("artifact store: s3://%s/ at %s", bucket.get(), endpoint.orElse("AWS"));
        } else {
            this.store = LocalArtifactStore.INSTANCE;
        }
    }

    public ArtifactStore store() {
        return store;
    }
}
