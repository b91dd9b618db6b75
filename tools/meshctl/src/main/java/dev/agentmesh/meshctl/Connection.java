package dev.agentmesh.meshctl;

import dev.agentmesh.kafka.client.KafkaClientSettings;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where the mesh is. Options win, then MESH_BOOTSTRAP / MESH_RUN_STATE_URL / MESH_REGISTRY_URL, then the
 * context file a running {@code meshctl demo} writes to {@code .mesh/context.properties}.
 */
public class Connection {

    static final Path CONTEXT_FILE = Path.of(".mesh", "context.properties");

    @Option(names = "--bootstrap", description = "Kafka bootstrap servers.")
    String bootstrap;

    @Option(names = "--run-state-url", description = "Base URL of the run-state service.")
    String runStateUrl;

    @Option(names = "--registry-url", description = "Apicurio Registry URL; without it schemas live in the mesh.schemas topic.")
    String registryUrl;

    @Option(names = "--keys-dir", defaultValue = ".mesh/keys",
            description = "Where Ed25519 keys are kept as <name>.key / <name>.pub (default: ${DEFAULT-VALUE}).")
    Path keysDir;

    @Option(names = "--command-config", description = "Kafka client properties for a secured cluster (security.protocol, "
            + "sasl.*, ssl.*), as Kafka's own tools take them; default: the file MESH_KAFKA_CONFIG names.")
    Path commandConfig;

    /** The bootstrap servers; also applies the client settings for a secured cluster, when given, to every client. */
    String bootstrap() {
        Path config = commandConfig != null ? commandConfig
                : System.getenv("MESH_KAFKA_CONFIG") == null || System.getenv("MESH_KAFKA_CONFIG").isBlank() ? null
                : Path.of(System.getenv("MESH_KAFKA_CONFIG"));
        if (config != null) {
            KafkaClientSettings.use(KafkaClientSettings.read(config));
        }
        return resolve(bootstrap, "MESH_BOOTSTRAP", "bootstrap");
    }

    String runStateUrl() {
        return resolve(runStateUrl, "MESH_RUN_STATE_URL", "run-state-url");
    }

    /** run-state's URL when one is given or recorded, for commands that can wait for the mesh's verdict. */
    Optional<String> runStateUrlIfKnown() {
        try {
            return Optional.of(runStateUrl());
        } catch (IllegalStateException unknown) {
            return Optional.empty();
        }
    }

    String registryUrlOrNull() {
        String value = registryUrl != null ? registryUrl : System.getenv("MESH_REGISTRY_URL");
        return value == null || value.isBlank() ? null : value;
    }

    private static String resolve(String option, String env, String key) {
        if (option != null) {
            return option;
        }
        String fromEnv = System.getenv(env);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        String fromContext = readContext().getProperty(key);
        if (fromContext != null) {
            return fromContext;
        }
        throw new IllegalStateException("no " + key + ": pass --" + key + ", set " + env
                + ", or start `meshctl demo --keep-running` in this directory");
    }

    static Properties readContext() {
        Properties props = new Properties();
        if (Files.isRegularFile(CONTEXT_FILE)) {
            try (InputStream in = Files.newInputStream(CONTEXT_FILE)) {
                props.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return props;
    }

    /** A value the running demo recorded, such as the grant it issued. */
    static String fromContext(String key) {
        return readContext().getProperty(key);
    }

    static void writeContext(String bootstrap, String runStateUrl, String grantId, String sweepGrantId, String gateGrantId,
                             Map<String, String> more) {
        Properties props = new Properties();
        more.forEach(props::setProperty);
        props.setProperty("sweep-grant", sweepGrantId);
        props.setProperty("gate-grant", gateGrantId);
        props.setProperty("bootstrap", bootstrap);
        props.setProperty("run-state-url", runStateUrl);
        props.setProperty("grant", grantId);
        try {
            Files.createDirectories(CONTEXT_FILE.getParent());
            try (OutputStream out = Files.newOutputStream(CONTEXT_FILE)) {
                props.store(out, "written by meshctl demo; removed when it stops");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void clearContext() {
        try {
            Files.deleteIfExists(CONTEXT_FILE);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
