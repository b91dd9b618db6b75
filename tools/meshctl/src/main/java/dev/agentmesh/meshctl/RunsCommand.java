package dev.agentmesh.meshctl;

import dev.agentmesh.core.Excerpt;
import dev.agentmesh.triage.TriageRequested;
import dev.agentmesh.runstate.TriageState;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.grants.Decision;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.gate.PrincipalDecided;
import dev.agentmesh.gate.PrincipalDecision;
import dev.agentmesh.grant.GrantIssued;

import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.core.RunResume;
import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.core.Stages;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.serde.SerdeSettings;
import dev.agentmesh.topics.Topics;
import picocli.CommandLine.Option;
import java.time.Duration;
import java.util.Optional;
import dev.agentmesh.core.Reliability;
import dev.agentmesh.runstate.RunStateJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.function.Predicate;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "runs", mixinStandardHelpOptions = true, description = "Inspect runs.",
        subcommands = {RunsCommand.ListRuns.class, RunsCommand.ShowRun.class, RunsCommand.Diagnose.class,
                RunsCommand.Costs.class, RunsCommand.Resume.class,
                RunsCommand.Decide.class, RunsCommand.ReliabilityView.class})
public class RunsCommand {

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List runs, newest first.")
    static class ListRuns implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Override
        public Integer call() {
            List<Map<String, Object>> runs = new RunStateClient(connection.runStateUrl()).list();
            System.out.printf("%-40s %-18s %-10s %-26s %s%n", "RUN", "STATUS", "PIPELINE", "LAST EVENT", "EVENTS");
            for (Map<String, Object> run : runs) {
                System.out.printf("%-40s %-18s %-10s %-26s %s%n", Excerpt.cell(String.valueOf(run.get("runId")), 40),
                        run.get("status"), Excerpt.cell(String.valueOf(run.get("pipeline")), 10), run.get("lastEventAt"),
                        run.get("eventCount"));
            }
            return 0;
        }
    }

    @Command(name = "reliability", mixinStandardHelpOptions = true,
            description = "Per stage, the first-attempt success rate over the most recent ended runs; their product (the "
                    + "end-to-end rate the chain predicts) beside the measured end-to-end rate.")
    static class ReliabilityView implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Option(names = "--pipeline", description = "Only runs of this pipeline (default: every pipeline).")
        String pipeline;

        @Option(names = "--window", defaultValue = "20", description = "How many of the most recent ended runs (default 20).")
        int window;

        @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text (default) or json, for scripts.")
        String output;

        @Override
        public Integer call() throws Exception {
            if (window < 1) {
                return DoorChecks.refuse("nothing to measure", List.of("--window must be at least 1, was " + window));
            }
            Reliability r = new RunStateClient(connection.runStateUrl()).reliability(pipeline, window);
            if (output.equals("json")) {
                System.out.println(RunStateJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(r));
            } else {
                System.out.print(table(r));
            }
            return 0;
        }

        static String table(Reliability r) {
            StringBuilder out = new StringBuilder();
            out.append(String.format("%d ended run(s)%s, the most recent %d at most%n", r.runs(),
                    r.pipeline() == null ? "" : " of pipeline " + r.pipeline(), r.window()));
            out.append(String.format("%-20s %-20s %12s %8s%n", "STAGE", "ROLE", "FIRST TRY", "RATE"));
            for (Reliability.StageRate s : r.stages()) {
                out.append(String.format("%-20s %-20s %12s %7.1f%%%n", s.stage(), s.role(),
                        s.firstAttempt().successes() + "/" + s.firstAttempt().count(), 100 * s.firstAttempt().rate()));
            }
            out.append(String.format("%-41s %12s %7.1f%%%n", "end to end, predicted (product)", "", 100 * r.predicted()));
            out.append(String.format("%-41s %12s %7.1f%%%n", "end to end, measured",
                    r.measured().successes() + "/" + r.measured().count(), 100 * r.measured().rate()));
            return out.toString();
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print a run's state: a summary (stages, dataset, sweep, the gate's trail, cost), or -o json.")
    static class ShowRun implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", description = "Run id.")
        String runId;

        @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text (default) or json, for scripts.")
        String output;

        @Override
        public Integer call() throws Exception {
            var state = new RunStateClient(connection.runStateUrl()).get(runId);
            if (state.isEmpty()) {
                return DoorChecks.refuse("nothing to show", List.of("run-state knows no run " + runId
                        + " (meshctl runs list shows the runs it knows)"));
            }
            if (output.equals("json")) {
                System.out.println(RunStateJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(state.get()));
            } else {
                System.out.print(DemoCommand.summary(state.get()));
            }
            return 0;
        }
    }

    @Command(name = "diagnose", mixinStandardHelpOptions = true,
            description = "What went wrong in a run, from its state and its review items: failed stages and cells with "
                    + "their reasons, a stall, the gate's decision, dead letters by reason, and the commands that would "
                    + "act on it (none is run).")
    static class Diagnose implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Mixin
        DlqCommand.Review review;

        @Parameters(index = "0", description = "Run id.")
        String runId;

        @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text (default) or json, for scripts.")
        String output;

        @Option(names = "--request", description = "Ask the triage supervisor for a diagnosis now (a run that fails or"
                + " stalls under a triage grant gets one on its own), and wait for it.")
        boolean request;

        @Option(names = "--grant", description = "Grant the requested triage acts under: it must allow read on the run"
                + " (default: the running demo's triage grant).")
        String grantId;

        @Option(names = "--depth", defaultValue = "0", description = "Delegation depth of the request (the supervisor acts"
                + " one level below it, its investigators two).")
        int depth;

        @Option(names = "--apply", description = "Apply the diagnosis's proposed remediation when it is a resume command"
                + " (after the cause is fixed): the person running this applies it.")
        boolean apply;

        @Option(names = "--wait", defaultValue = "PT60S", description = "How long --request waits for the diagnosis.")
        Duration wait;

        @Override
        public Integer call() throws Exception {
            if (request) {
                Integer refused = requestTriage();
                if (refused != null) {
                    return refused;
                }
            }
            if (apply) {
                return applyRemediation();
            }
            // the operator reads run-state with its own login: no grant narrows what it sees
            MeshQueries queries = new MeshQueries(new McpCommand.Sources(new RunStateClient(connection.runStateUrl()), review),
                    resource -> Decision.ALLOWED);
            MeshQueries.Answer answer = queries.whyFailed(runId);
            if (answer.refused()) {
                return DoorChecks.refuse("nothing to diagnose", List.of(answer.text()));
            }
            System.out.print(output.equals("json")
                    ? RunStateJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(answer.data()) + "\n" : answer.text());
            return 0;
        }

        private Integer requestTriage() {
            String grant = grantId != null ? grantId : Connection.fromContext("triage-grant");
            Envelope origin = new Envelopes("meshctl", TriggerCommand.hostName()).origin(runId, grant);
            Envelope envelope = Envelope.newBuilder(origin).setDelegationDepth(depth).build();
            String who = System.getProperty("user.name", "unknown");
            TriggerCommand.publish(connection, new RunEvent(envelope, new TriageRequested(who, null)));
            String id = envelope.getEventId();
            System.out.println("asked the triage supervisor about run " + runId + " (request " + id + ")");
            RunStateClient client = new RunStateClient(connection.runStateUrl());
            long deadline = System.nanoTime() + wait.toNanos();
            while (System.nanoTime() < deadline) {
                Optional<TriageState> triage = client.get(runId).map(RunState::triage);
                Optional<TriageState.Refusal> refusal = triage.flatMap(t -> t.refusals().values().stream()
                        .filter(r -> r.refusedEventId().equals(id)).findFirst());
                if (refusal.isPresent()) {
                    return DoorChecks.refuse("no diagnosis", List.of(refusal.get().reason()));
                }
                if (triage.map(t -> t.diagnoses().containsKey(id)).orElse(false)) {
                    return null;
                }
                MeshServices.sleep(250);
            }
            return DoorChecks.refuse("no diagnosis", List.of("the triage supervisor did not answer within " + wait));
        }

        private Integer applyRemediation() {
            Optional<TriageState.Diagnosis> diagnosis = new RunStateClient(connection.runStateUrl()).get(runId)
                    .flatMap(s -> Optional.ofNullable(s.triage())).flatMap(TriageState::currentDiagnosis);
            String command = diagnosis.map(TriageState.Diagnosis::command).orElse(null);
            String prefix = "meshctl runs resume " + runId + " --from ";
            if (command == null || !command.startsWith(prefix)) {
                return DoorChecks.refuse("nothing applied", List.of(diagnosis.isEmpty() ? "run " + runId + " has no diagnosis"
                        : "the proposal (" + diagnosis.get().remediationKind() + ") is not a resume: " + diagnosis.get().remediation()));
            }
            String stage = command.substring(prefix.length()).trim();
            System.out.println("applying the proposal: " + command);
            Resume resume = new Resume();
            resume.connection = connection;
            resume.runId = runId;
            resume.stage = stage;
            return resume.call();
        }
    }

    @Command(name = "costs", mixinStandardHelpOptions = true,
            description = "Print a run's cost by delegation subtree: each grant, what it spent, and what its subtree spent.")
    static class Costs implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", description = "Run id.")
        String runId;

        @Override
        public Integer call() {
            System.out.print(tree(new RunStateClient(connection.runStateUrl()).costs(runId)));
            return 0;
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Re-run a run from a stage (the failing one, typically), reusing what the stages before it "
                    + "published: the event that started the stage is published again as a new attempt.")
    static class Resume implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", description = "Run id.")
        String runId;

        @Option(names = "--from", required = true, description = "Stage to run again: row-validation, feature-extraction, schema-check, publish, sweep (a resumed sweep keeps the cells that succeeded on the same dataset) or gate (every specialist is asked again).")
        String stage;

        @Option(names = "--force", description = "Resume a run that already completed (its stages run again, and its gate may deploy again).")
        boolean force;

        @Option(names = "--skip-source-check", description = "Resume from row-validation without checking here that "
                + "the run's source is readable and matches its contract (when only the mesh can read it).")
        boolean skipSourceCheck;

        @Override
        public Integer call() {
            List<RunEvent> events = RunLog.read(connection.bootstrap(), new MeshCodec<>(Topics.RUN_EVENTS,
                    SerdeSettings.forDeployment(connection.registryUrlOrNull(), connection.bootstrap())), runId, Duration.ofSeconds(60));
            RunState state = null;
            for (RunEvent e : events) {
                state = RunStateReducer.apply(state, e);
            }
            if (state == null || !state.triggered()) {
                System.err.println("no triggered run " + runId);
                return 1;
            }
            if (state.status() == RunStatus.COMPLETED && !force) {
                return DoorChecks.refuse("run " + runId + " not resumed", List.of("it completed: resuming runs " + stage
                        + " and every stage after it again, and its gate may deploy again; add --force to do that"));
            }
            if (stage.equals(Stages.ROW_VALIDATION) && !skipSourceCheck) {
                Optional<RunTriggered> trigger = events.stream().map(RunEvent::getPayload)
                        .filter(RunTriggered.class::isInstance).map(RunTriggered.class::cast).findFirst();
                List<String> problems = trigger.map(t -> DoorChecks.run(t.getSourceKind(), t.getSourceLocation(), true,
                        t.getContract(), List.of(), null, null)).orElse(List.of());
                if (!problems.isEmpty()) {
                    List<String> said = new ArrayList<>(problems);
                    said.add("row-validation reads the run's source again: fix it, or add --skip-source-check when "
                            + "only the mesh can read it");
                    return DoorChecks.refuse("run " + runId + " not resumed", said);
                }
            }
            Optional<RunEvent> cause;
            try {
                cause = RunResume.cause(state, events, stage);
            } catch (IllegalArgumentException e) {
                System.err.println(e.getMessage());
                return 2;
            }
            if (cause.isEmpty()) {
                System.err.println("run " + runId + " has no completed stage before " + stage + " to resume from");
                return 1;
            }
            RunEvent again = RunResume.again(cause.get(), RunResume.nextAttempt(state, stage), TriggerCommand.hostName());
            TriggerCommand.publish(connection, again);
            int attempt = again.getEnvelope().getAttempt();
            System.out.printf("resumed run %s from %s as attempt %d (event %s, again after %s)%n", runId, stage,
                    attempt, again.getEnvelope().getEventId(), cause.get().getEnvelope().getEventId());
            // so that a watch right after this follows the new attempt, not the last one's end
            Optional<RunState> seen = awaitRunState(connection, runId, s -> !s.status().terminal()
                    || (s.stages().containsKey(stage) && s.stages().get(stage).attempt() >= attempt));
            seen.ifPresent(s -> System.out.printf("run-state shows run %s under way again: %s%n", runId, s.status()));
            return 0;
        }
    }

    @Command(name = "decide", mixinStandardHelpOptions = true,
            description = "As the principal, approve or reject a run the gate returned. Issues the principal's own root "
                    + "grant to decide this run (the principal key in --keys-dir signs it) and publishes the decision.")
    static class Decide implements Callable<Integer> {
        @Mixin
        Connection connection;

        @Parameters(index = "0", description = "Run id.")
        String runId;

        @Parameters(index = "1", description = "approve or reject.")
        String decision;

        @Option(names = "--reason", required = true, description = "Why: recorded with the decision.")
        String reason;

        @Option(names = "--as", description = "The acting identity (default: the principal, whose key signs the decision grant).")
        String actor;

        @Option(names = "--force", description = "Publish the decision even if the run is not waiting for one (it is ignored).")
        boolean force;

        @Override
        public Integer call() {
            PrincipalDecision d;
            try {
                d = PrincipalDecision.valueOf(decision.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                System.err.println("decision must be approve or reject, not " + decision);
                return 2;
            }
            if (!force) {
                RunState state = null;
                for (RunEvent e : RunLog.read(connection.bootstrap(), new MeshCodec<>(Topics.RUN_EVENTS,
                        SerdeSettings.forDeployment(connection.registryUrlOrNull(), connection.bootstrap())), runId,
                        Duration.ofSeconds(60))) {
                    state = RunStateReducer.apply(state, e);
                }
                if (state == null || state.status() != RunStatus.AWAITING_PRINCIPAL) {
                    return DoorChecks.refuse("nothing decided", List.of("run " + runId + (state == null ? " is unknown"
                            : " is " + state.status() + ", not waiting for the principal")
                            + ": a decision applies only to a run the gate returned (add --force to publish it anyway)"));
                }
            }
            String who = actor != null ? actor : PrincipalTools.PRINCIPAL;
            GrantIssued grant = PrincipalTools.issueDecisionGrant(connection.bootstrap(), connection.keysDir, runId);
            RunEvent event = new RunEvent(new Envelopes(PrincipalTools.PRINCIPAL, TriggerCommand.hostName())
                    .origin(runId, grant.getGrantId()), new PrincipalDecided(d, who, reason));
            TriggerCommand.publish(connection, event);
            System.out.printf("%s run %s as %s under grant %s (event %s)%n", d, runId, who, grant.getGrantId(),
                    event.getEnvelope().getEventId());
            if (connection.runStateUrlIfKnown().isPresent()) {
                Optional<RunState> applied = awaitRunState(connection, runId, s -> s.status() != RunStatus.AWAITING_PRINCIPAL);
                if (applied.isEmpty()) {
                    System.err.println("meshctl: the decision was published, but run " + runId + " is still waiting after "
                            + VERDICT_WAIT.toSeconds() + " s: see meshctl runs show " + runId);
                    return 1;
                }
                System.out.printf("applied: run %s is now %s%n", runId, applied.get().status());
            }
            return 0;
        }
    }

    /** How long a command waits for run-state to show what it published. */
    static final Duration VERDICT_WAIT = Duration.ofSeconds(30);

    /** The run's state once it satisfies {@code condition}, if run-state is known and shows it within the wait. */
    static Optional<RunState> awaitRunState(Connection connection, String runId, Predicate<RunState> condition) {
        Optional<String> url = connection.runStateUrlIfKnown();
        if (url.isEmpty()) {
            return Optional.empty();
        }
        RunStateClient client = new RunStateClient(url.get());
        long deadline = System.nanoTime() + VERDICT_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<RunState> state = client.poll(runId);
            if (state.isPresent() && condition.test(state.get())) {
                return state;
            }
            MeshServices.sleep(250);
        }
        return Optional.empty();
    }

    /** The cost tree, roots first, children indented under their parent. */
    static String tree(List<CostRollup.Node> nodes) {
        Map<String, List<CostRollup.Node>> children = new TreeMap<>();
        Set<String> ids = new HashSet<>();
        nodes.forEach(n -> ids.add(n.grantId()));
        StringBuilder out = new StringBuilder(String.format("%-52s %12s %12s %12s %12s %12s %14s %12s%n", "GRANT (GRANTEE)",
                "DIRECT MS", "SUBTREE MS", "BUDGET MS", "DIRECT TOK", "SUBTREE TOK", "SUBTREE MONEY", "BUDGET TOK"));
        for (CostRollup.Node n : nodes) {
            children.computeIfAbsent(n.parentGrantId() != null && ids.contains(n.parentGrantId()) ? n.parentGrantId() : "", k -> new ArrayList<>()).add(n);
        }
        print(out, children, "", 0);
        return out.toString();
    }

    private static String orDash(Long value) {
        return value == null ? "-" : value.toString();
    }

    /** Millionths of the configured currency, as units with six decimals. */
    static String money(long micros) {
        return String.format("%d.%06d", micros / 1_000_000, micros % 1_000_000);
    }

    private static void print(StringBuilder out, Map<String, List<CostRollup.Node>> children, String parent, int depth) {
        for (CostRollup.Node n : children.getOrDefault(parent, List.of())) {
            String label = "  ".repeat(depth) + n.grantId().substring(0, Math.min(8, n.grantId().length()))
                    + " (" + (n.grantee() == null ? "unknown grant" : n.grantee()) + ")";
            out.append(String.format("%-52s %12d %12d %12s %12d %12d %14s %12s%n", label, n.direct().computeMs(),
                    n.subtree().computeMs(), orDash(n.budget().computeMs()), n.direct().tokens(), n.subtree().tokens(),
                    money(n.subtree().moneyMicros()), orDash(n.budget().tokens())));
            print(out, children, n.grantId(), depth + 1);
        }
    }
}
