package dev.agentmesh.meshctl;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** The demo's mesh without its run: the embedded broker and every service, supervised, until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start the embedded broker and every service (supervised: a service that exits is restarted) and keep them up.")
public class UpCommand implements Callable<Integer> {

    @Option(names = "--sweep-budget-ms", defaultValue = "600000",
            description = "Compute budget of the sweep grant issued for triggered runs (default: ${DEFAULT-VALUE}).")
    long sweepBudgetMs;

    @Option(names = "--broker-process", description = "Run the broker as its own process, supervised like the services: "
            + "./meshctl services restart broker restarts it under the running mesh (default: inside this JVM).")
    boolean brokerProcess;

    @Option(names = "--trainers", defaultValue = "1", description = DemoCommand.TRAINERS_HELP)
    int trainers;

    @Override
    public Integer call() throws Exception {
        DemoCommand mesh = new DemoCommand();
        mesh.sweepBudgetMs = sweepBudgetMs;
        mesh.meshOnly = true;
        mesh.brokerProcess = brokerProcess;
        mesh.trainers = trainers;
        return mesh.call();
    }
}
