package dev.agentmesh.service;

import dev.agentmesh.contract.SourcePolicy;
import dev.agentmesh.core.ShippedYaml;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.util.List;

/**
 * A run event may name its data contract, sweep grid or gate policy by file path: this service reads such a file only
 * under {@code mesh.sources.allowed-dirs}, as it reads a CSV source, so an event cannot make it read (and quote in a
 * failure) a configuration file or anything else it can reach. Set before any channel or stream starts.
 */
@ApplicationScoped
public class DefinitionFiles {

    void restrict(@Observes @Priority(1) StartupEvent started,
                  @ConfigProperty(name = "mesh.sources.allowed-dirs") List<Path> allowed) {
        ShippedYaml.filesFrom(SourcePolicy.within(allowed)::file);
    }
}
