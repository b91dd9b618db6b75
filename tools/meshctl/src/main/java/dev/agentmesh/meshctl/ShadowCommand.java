package dev.agentmesh.meshctl;

import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.team.ShadowComparison;
import dev.agentmesh.topics.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Agents deployed in shadow mode: what they would have answered, beside what production answered. */
@Command(name = "shadow", mixinStandardHelpOptions = true, description = "Agents in shadow mode.",
        subcommands = {ShadowCommand.Report.class})
public class ShadowCommand {

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "A shadow's answers beside production's for the same requests: agreement, and each disagreement "
                    + "with the numbers that moved.")
    static class Report implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Option(names = "--role", required = true, description = "The shadowed role, e.g. risk-fairness.")
        String role;

        @Option(names = "--version", required = true, description = "The shadow's version label (mesh.agent.version).")
        String version;

        @Override
        public Integer call() {
            String bootstrap = connection.bootstrap();
            MeshCodec<RunEvent> codec = new MeshCodec<>(Topics.RUN_EVENTS,
                    SerdeSettings.forDeployment(connection.registryUrlOrNull(), bootstrap));
            List<RunEvent> shadow = decode(codec, RunLog.scan(bootstrap, Topics.SHADOW.name(), null, r -> true, Duration.ofSeconds(60)));
            List<RunEvent> production = decode(codec, RunLog.scan(bootstrap, Topics.RUN_EVENTS.name(), null, r -> true,
                    Duration.ofSeconds(60)));
            ShadowComparison.Report report = ShadowComparison.of(role, version, shadow, production);
            System.out.printf("%s %s in shadow: %d answer(s) paired with production's, %d agree (%.1f%%), %d unpaired%n",
                    role, version, report.pairs().size(), report.agreements(), 100 * report.agreementRate(), report.unmatched());
            if (report.pairs().stream().anyMatch(p -> !p.agrees())) {
                System.out.printf("%nDISAGREEMENTS%n%-40s %-12s %-12s %s%n", "RUN", "PRODUCTION", "SHADOW", "SHADOW'S SUMMARY; METRICS MOVED");
                for (ShadowComparison.Pair p : report.pairs()) {
                    if (!p.agrees()) {
                        System.out.printf("%-40s %-12s %-12s %s%s%n", p.runId(), p.production(), p.shadow(), p.shadowSummary(),
                                p.metricDeltas().isEmpty() ? "" : "; " + p.metricDeltas());
                    }
                }
            }
            return 0;
        }

        private static List<RunEvent> decode(MeshCodec<RunEvent> codec, List<LoggedRecord> records) {
            List<RunEvent> events = new ArrayList<>();
            for (LoggedRecord r : records) {
                try {
                    events.add(codec.decode(r.value()));
                } catch (RuntimeException undecodable) {
                    // dead letters are review's business; a report skips them
                }
            }
            return events;
        }
    }
}
