package dev.agentmesh.meshctl;

import dev.agentmesh.runstate.RunStateJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "runs", mixinStandardHelpOptions = true, description = "Inspect runs.",
        subcommands = {RunsCommand.ListRuns.class, RunsCommand.ShowRun.class})
public class RunsCommand {

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List runs, newest first.")
    static class ListRuns implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Override
        public Integer call() {
            List<Map<String, Object>> runs = new RunStateClient(connection.runStateUrl()).list();
            System.out.printf("%-40s %-10s %-10s %-26s %s%n", "RUN", "STATUS", "PIPELINE", "LAST EVENT", "EVENTS");
            for (Map<String, Object> run : runs) {
                System.out.printf("%-40s %-10s %-10s %-26s %s%n", run.get("runId"), run.get("status"),
                        run.get("pipeline"), run.get("lastEventAt"), run.get("eventCount"));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print a run's state as JSON.")
    static class ShowRun implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", description = "Run id.")
        String runId;

        @Override
        public Integer call() throws Exception {
            var state = new RunStateClient(connection.runStateUrl()).get(runId);
            if (state.isEmpty()) {
                System.err.println("no run " + runId);
                return 1;
            }
            System.out.println(RunStateJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(state.get()));
            return 0;
        }
    }
}
