package dev.agentmesh.meshctl;

import picocli.CommandLine.Option;

import java.util.List;

/** How {@code meshctl demo} and {@code meshctl up} start the mesh: the options both take, declared once. */
public class MeshOptions {

    @Option(names = "--sweep-budget-ms", defaultValue = "600000",
            description = "Compute budget the operator grants the sweep of each run, in ms (default: ${DEFAULT-VALUE}).")
    long sweepBudgetMs;

    @Option(names = "--broker-process", description = "Run the broker as its own process, supervised like the services: "
            + "./meshctl services restart broker restarts it under the running mesh (default: inside this JVM, faster).")
    boolean brokerProcess;

    @Option(names = "--trainers", defaultValue = "1", description = "Trainer instances, each its own JVM in the trainer "
            + "group; each trains two cells at once, so one keeps two cores busy (default: ${DEFAULT-VALUE}).")
    int trainers;

    /** What is wrong with these options, before anything starts; empty when nothing is. */
    List<String> problems() {
        return trainers < 1 ? List.of("--trainers must be at least 1, not " + trainers) : List.of();
    }
}
