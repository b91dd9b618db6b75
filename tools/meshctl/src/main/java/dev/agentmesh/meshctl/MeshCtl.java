package dev.agentmesh.meshctl;

import picocli.CommandLine;
import picocli.CommandLine.Command;


@Command(name = "meshctl", mixinStandardHelpOptions = true, version = "meshctl 0.1.0",
        description = "Operate the agent mesh: run the embedded demo, trigger runs, inspect run state.",
        subcommands = {DemoCommand.class, TriggerCommand.class, RunsCommand.class, GrantsCommand.class, ReplayCommand.class, DeployCommand.class, DlqCommand.class, WatchCommand.class,
                CommandLine.HelpCommand.class})
public class MeshCtl {

    public static void main(String[] args) {
        quietLibraries();
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new MeshCtl()).setCaseInsensitiveEnumValuesAllowed(true);
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
