package dev.agentmesh.meshctl;

import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.List;
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

    /** How long a run id may be unknown to run-state before watch gives up on it (a run just triggered is folded within). */
    static final Duration UNKNOWN_FOR = Duration.ofSeconds(10);

    @Override
    public Integer call() {
        RunStateClient client = new RunStateClient(connection.runStateUrl());
        long deadline = System.nanoTime() + UNKNOWN_FOR.toNanos();
        while (client.get(runId).isEmpty()) {
            if (System.nanoTime() > deadline) {
                return DoorChecks.refuse("nothing to watch", List.of("run-state at " + connection.runStateUrl()
                        + " knows no run " + runId + " (meshctl runs list shows the runs it knows)"));
            }
            MeshServices.sleep(250);
        }
        RunState state;
        try {
            state = DemoCommand.watch(System.nanoTime(), client, runId, timeout);
        } catch (IllegalStateException e) {
            System.err.println("meshctl: " + e.getMessage());
            return 1;
        }
        System.out.println();
        System.out.println(DemoCommand.summary(state));
        return state.status() == RunStatus.COMPLETED ? 0 : 1;
    }
}
