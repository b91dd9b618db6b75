package dev.agentmesh.meshctl;

import dev.agentmesh.artifacts.Artifacts;
import dev.agentmesh.artifacts.s3.S3ArtifactStore;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;


@Command(name = "meshctl", mixinStandardHelpOptions = true, version = "meshctl 0.1.0",
        description = "Operate the agent mesh: run the embedded demo, trigger runs, inspect run state.",
        subcommands = {DemoCommand.class, TriggerCommand.class, RunsCommand.class, McpCommand.class, ScheduleCommand.class, ShadowCommand.class, GrantsCommand.class, ReplayCommand.class, DeployCommand.class, DlqCommand.class, WatchCommand.class, ServicesCommand.class, UpCommand.class, ContractsCommand.class, RowsCommand.class, SchemasCommand.class,
                CommandLine.HelpCommand.class})
public class MeshCtl {

    public static void main(String[] args) {
        quietLibraries();
        s3FromEnvironment();
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new MeshCtl()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /**
     * Reads {@code s3://} artifacts (datasets) when the services publish to an S3-compatible store: the same settings
     * as theirs, from {@code MESH_ARTIFACTS_S3_BUCKET}, {@code _ENDPOINT}, {@code _REGION}, {@code _ACCESS_KEY},
     * {@code _SECRET_KEY}.
     */
    static void s3FromEnvironment() {
        String bucket = System.getenv("MESH_ARTIFACTS_S3_BUCKET");
        if (bucket != null && !bucket.isBlank()) {
            Artifacts.register(new S3ArtifactStore(
                    new S3ArtifactStore.Settings(System.getenv("MESH_ARTIFACTS_S3_ENDPOINT"), bucket,
                            System.getenv().getOrDefault("MESH_ARTIFACTS_S3_REGION", "us-east-1"),
                            System.getenv("MESH_ARTIFACTS_S3_ACCESS_KEY"), System.getenv("MESH_ARTIFACTS_S3_SECRET_KEY"), true),
                    Path.of(".mesh", "s3-cache")));
        }
    }

    /** The embedded broker and Kafka clients log a lot at INFO; the CLI shows only their warnings. */
    static void quietLibraries() {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        System.setProperty("org.slf4j.simpleLogger.logFile", System.getProperty("org.slf4j.simpleLogger.logFile", "System.err"));
        // The embedded broker's own start-up and shutdown chatter is not the user's concern.
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
        System.setProperty("org.slf4j.simpleLogger.log.kafka", "error");
    }
}
