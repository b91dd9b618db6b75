package dev.agentmesh.meshctl;

import dev.agentmesh.replay.RunReplay;
import dev.agentmesh.team.GateCounterfactual;
import dev.agentmesh.team.GatePolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Re-decides recorded runs with a changed agent, offline: each run is rebuilt from the log with run-state's reducer
 * and the changed agent decides on what the run recorded. Built for the coordinator's gate (a changed gate policy);
 * the other roles are refused by name.
 */
@Command(name = "counterfactual", mixinStandardHelpOptions = true,
        description = "Re-decide recorded runs with a changed agent (coordinator: --with gate-policy=NAME|FILE) and list the "
                + "runs whose decision would change. Exit 1 when more than --tolerate changed: a release gate for CI.")
public class CounterfactualCommand implements Callable<Integer> {

    static final String GATE_POLICY = "gate-policy=";

    @Mixin
    Connection connection;

    @Parameters(index = "0", description = "The changed agent's role: coordinator.")
    String role;

    @Option(names = "--runs", required = true, split = ",", description = "Recorded runs to re-decide.")
    List<String> runs;

    @Option(names = "--with", required = true, description = "The change: gate-policy=NAME|FILE for the coordinator.")
    String with;

    @Option(names = "--tolerate", defaultValue = "0", description = "How many changed decisions still pass (default: ${DEFAULT-VALUE}).")
    long tolerate;

    @Override
    public Integer call() {
        if (!role.equals("coordinator")) {
            return DoorChecks.refuse("nothing replayed", List.of("counterfactual replay is built for the coordinator's gate "
                    + "(--with gate-policy=...); " + role + " is not"));
        }
        if (!with.startsWith(GATE_POLICY)) {
            return DoorChecks.refuse("nothing replayed", List.of("--with must be gate-policy=NAME|FILE, was " + with));
        }
        GatePolicy policy;
        try {
            policy = GatePolicy.load(with.substring(GATE_POLICY.length()));
        } catch (IllegalArgumentException e) {
            return DoorChecks.refuse("nothing replayed", List.of(e.getMessage()));
        }
        List<GateCounterfactual.Comparison> compared = new ArrayList<>();
        System.out.printf("%-40s %-20s %-20s %s%n", "RUN", "RECORDED", "WITH " + policy.name(), "WHY");
        for (String runId : runs) {
            ReplaySource source = ReplaySource.live(connection, runId, false);
            RunReplay.Result rebuilt = RunReplay.replay(source.runEvents, source.events::decode, RunReplay.Until.parse(null));
            Optional<GateCounterfactual.Comparison> c = rebuilt.state() == null ? Optional.empty()
                    : GateCounterfactual.of(rebuilt.state(), policy);
            if (c.isEmpty()) {
                System.out.printf("%-40s %-20s %-20s %s%n", runId, "-", "-", "no gate decision recorded: not compared");
                continue;
            }
            compared.add(c.get());
            System.out.printf("%-40s %-20s %-20s %s%n", runId, c.get().recorded(),
                    c.get().changed() ? c.get().counterfactual() : "(same)", c.get().reason());
        }
        long changed = GateCounterfactual.changed(compared);
        System.out.printf("%d of %d decided run(s) would be decided differently (tolerated: %d)%n", changed, compared.size(), tolerate);
        return changed > tolerate ? 1 : 0;
    }
}
