package dev.agentmesh.service;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The build's class-data recording launch (see {@code services/pom.xml}): the service starts in full, with every
 * channel, stream and bean it has, and exits at once, so the JVM can archive what start-up loaded. Quarkus's own
 * AppCDS stops before runtime initialisation and archives about half as many of the classes a service loads.
 */
@ApplicationScoped
public class ClassArchiveRecording {

    public static final String EXIT_ONCE_STARTED = "mesh.class-archive.exit-once-started";

    void exitOnceStarted(@Observes @Priority(Integer.MAX_VALUE) StartupEvent started,
                         @ConfigProperty(name = EXIT_ONCE_STARTED, defaultValue = "false") boolean exit) {
        if (exit) {
            Quarkus.asyncExit(0);
        }
    }
}
