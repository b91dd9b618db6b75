package dev.agentmesh.meshctl;

import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.concurrent.Callable;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Follow a run with a progress bar until it ends (or waits for its principal), then print its "
                + "summary and disposition trail. Exits 0 when the run completed, 1 otherwise.")
public class WatchCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Parameters(index = "0", description = "Run id.")
    String runId;

    @Option(names = "--timeout", defaultValue = "PT30M", description = "How long to follow it (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() {
        RunState state = DemoCommand.watch(System.nanoTime(), new RunStateClient(connection.runStateUrl()), runId, timeout);
        System.out.println();
        System.out.println(DemoCommand.summary(state));
        return state.status() == RunStatus.COMPLETED ? 0 : 1;
    }
}
