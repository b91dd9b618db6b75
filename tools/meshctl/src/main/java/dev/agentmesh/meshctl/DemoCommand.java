package dev.agentmesh.meshctl;

import dev.agentmesh.core.ShippedYaml;
import dev.agentmesh.runstate.GateState;
import dev.agentmesh.runstate.RunStatus;
import java.util.ArrayList;
import dev.agentmesh.embedded.EmbeddedKafka;
import dev.agentmesh.embedded.KafkaCluster;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.runstate.SweepState;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a real embedded Kafka broker and the mesh services, trigger a nightly run on credit-g, "
                + "show its progress, and print the final run state. Exits 0 when the run completed.")
public class DemoCommand implements Callable<Integer> {

    @Option(names = "--source", description = "CSV input (default: ../shared/data/credit-g.csv beside the repo).")
    Path source;

    @Option(names = "--contract", defaultValue = "credit-g",
            description = "Data contract of the source: a shipped name or a YAML file path (default: ${DEFAULT-VALUE}).")
    String contract;

    @Option(names = "--sweep-grid", description = "Sweep grid: a shipped name or a YAML file path (default: the shipped grid).")
    String sweepGrid;

    @Option(names = "--gate-policy", description = "Gate policy: a shipped name or a YAML file path (default: the shipped policy).")
    String gatePolicy;

    @Option(names = "--timeout", defaultValue = "PT5M", description = "How long the run may take (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--keep-running", description = "Keep the broker and services up after the run, for other meshctl commands.")
    boolean keepRunning;

    @Mixin
    MeshOptions mesh;

    /** {@code meshctl up}: the mesh only, no run, until Ctrl-C. */
    boolean meshOnly;

    static DemoCommand meshOnly(MeshOptions mesh) {
        DemoCommand up = new DemoCommand();
        up.mesh = mesh;
        up.meshOnly = true;
        return up;
    }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        if (!mesh.problems().isEmpty()) {
            return DoorChecks.refuse(meshOnly ? "mesh not started" : "demo not started", mesh.problems());
        }
        Path root = MeshServices.repoRoot();
        Path input = source != null ? source : root.resolveSibling("shared").resolve("data").resolve("credit-g.csv");
        List<String> problems = DoorChecks.run(SourceKind.CSV, input.toString(), true, contract, List.of(), sweepGrid, gatePolicy);
        if (!meshOnly && !problems.isEmpty()) {
            return DoorChecks.refuse("demo not started", problems);
        }
        Path work = root.resolve(".mesh").resolve("demo-" + ProcessHandle.current().pid());
        say(t0, mesh.brokerProcess ? "starting Kafka (KRaft) as its own process ..." : "starting embedded Kafka (KRaft) ...");
        try (Broker kafka = Broker.start(mesh.brokerProcess, work.resolve("broker"));
             MeshServices services = new MeshServices(root, work)) {
            String bootstrap = kafka.bootstrapServers();
            kafka.superviseWith(services);
            services.allowSourcesFrom(input.toAbsolutePath().getParent());
            for (String named : new String[]{contract, sweepGrid, gatePolicy}) {
                if (named != null && ShippedYaml.isPath(named)) {
                    services.allowSourcesFrom(Path.of(named).toAbsolutePath().getParent());
                }
            }
            say(t0, "broker up at " + bootstrap + "; mesh topics created");
            Path keys = root.resolve(".mesh").resolve("keys");
            Map<String, Map<String, String>> config = PrincipalTools.meshConfig(keys, bootstrap);
            say(t0, "starting " + (MeshServices.SERVICES.size() + mesh.trainers - 1) + " services, each its own JVM, "
                    + mesh.trainers + (mesh.trainers == 1 ? " trainer" : " trainers") + " among them ...");
            List<MeshServices.Running> launched = new ArrayList<>(
                    services.launchAll(MeshServices.SERVICES, "", bootstrap, config));
            for (int t = 2; t <= mesh.trainers; t++) {
                launched.add(services.launch("trainer", "trainer-" + t, bootstrap, PrincipalTools.serviceConfig(keys)));
            }
            if (meshOnly) { // a standing mesh fires schedules; the demo triggers its one run itself
                launched.add(services.launch(MeshServices.SCHEDULER, "scheduler", bootstrap, PrincipalTools.serviceConfig(keys)));
            }

            GrantIssued grant = PrincipalTools.issueNightlyGrant(bootstrap, keys);
            say(t0, "principal granted pipeline-operator " + grant.getScope().getActions() + " on "
                    + grant.getScope().getResources() + " (grant " + grant.getGrantId() + ")");
            GrantIssued sweepGrant = PrincipalTools.issueSweepGrant(bootstrap, keys, grant, "run:*", mesh.sweepBudgetMs);
            say(t0, "pipeline-operator granted sweep-orchestrator " + sweepGrant.getScope().getActions() + " within "
                    + mesh.sweepBudgetMs + " compute ms (grant " + sweepGrant.getGrantId() + ")");
            GrantIssued gateGrant = PrincipalTools.issueGateGrant(bootstrap, keys, grant, "run:*");
            say(t0, "pipeline-operator granted coordinator " + gateGrant.getScope().getActions() + " (grant "
                    + gateGrant.getGrantId() + ")");

            GrantIssued triageGrant = PrincipalTools.issueTriageGrant(bootstrap, keys);
            say(t0, "principal granted triage " + triageGrant.getScope().getActions() + " on "
                    + triageGrant.getScope().getResources() + " (grant " + triageGrant.getGrantId() + ")");

            if (meshOnly) {
                awaitAll(t0, services, launched, root);
                writeContext(services, bootstrap, grant, sweepGrant, gateGrant, triageGrant);
                say(t0, "mesh up: ./meshctl trigger --source FILE.csv; ./meshctl services list|restart NAME; Ctrl-C stops it");
                Thread.currentThread().join();
                return 0;
            }
            // the log holds the trigger until the services starting now read it: the run overlaps their start
            TriggerCommand trigger = new TriggerCommand();
            List<String> args = new ArrayList<>(List.of("--bootstrap", bootstrap, "--source", input.toString(),
                    "--requested-by", "demo", "--contract", contract, "--grant", grant.getGrantId(),
                    "--sweep-grant", sweepGrant.getGrantId(), "--gate-grant", gateGrant.getGrantId(),
                    "--triage-grant", triageGrant.getGrantId()));
            if (sweepGrid != null) {
                args.addAll(List.of("--sweep-grid", sweepGrid));
            }
            if (gatePolicy != null) {
                args.addAll(List.of("--gate-policy", gatePolicy));
            }
            new CommandLine(trigger).parseArgs(args.toArray(String[]::new));
            String runId = trigger.trigger();
            say(t0, "triggered run " + runId + " on " + input.getFileName());

            MeshServices.Running runStateProcess = launched.stream().filter(r -> r.name().equals("run-state"))
                    .findFirst().orElseThrow();
            List<MeshServices.Running> others = launched.stream().filter(r -> r != runStateProcess).toList();
            MeshServices.Running runState = services.awaitReady(runStateProcess, Duration.ofMinutes(3));
            say(t0, ready(runState, root));
            String runStateUrl = runState.url();
            CompletableFuture<Void> rest = CompletableFuture.runAsync(() -> {
                awaitAll(t0, services, others, root);
                writeContext(services, bootstrap, grant, sweepGrant, gateGrant, triageGrant);
            });
            RunState finalState = watch(t0, new RunStateClient(runStateUrl), runId);
            rest.join(); // a service that never became ready fails the demo here
            System.out.println();
            System.out.println(summary(finalState));
            System.out.println("cost by delegation subtree:");
            System.out.println(RunsCommand.tree(new RunStateClient(runStateUrl).costs(runId)));
            say(t0, "run " + runId + " " + finalState.status());
            if (finalState.status() == RunStatus.AWAITING_PRINCIPAL) {
                System.out.println("the gate returned the run to the principal; decide with --keep-running and");
                System.out.println("  ./meshctl runs decide " + runId + " approve|reject --reason \"...\"");
            }

            if (keepRunning) {
                System.out.println("broker and services stay up. In another shell, from " + Path.of("").toAbsolutePath() + ":");
                System.out.println("  ./meshctl runs list");
                System.out.println("  ./meshctl runs show " + runId);
                System.out.println("  ./meshctl dlq list");
                System.out.println("  ./meshctl services list        (restart one: ./meshctl services restart NAME)");
                System.out.println("review page: " + services.get("review").url() + "/review (alice / alice-principal: reviewer and principal;"
                        + " bob / bob-reviewer: reviewer)");
                System.out.println("this run in the console: " + services.get("review").url() + "/review/runs/" + runId);
                System.out.println("Ctrl-C stops everything.");
                Thread.currentThread().join();
            }
            // the run's effects are committed to the log, and the broker and its log go next: nothing is left for the
            // services to finish (a graceful stop took them over 2 s, closing their consumers one by one)
            services.stopWithin(Duration.ZERO);
            return finalState.status() == RunStatus.COMPLETED ? 0 : 1;
        } finally {
            Connection.clearContext();
        }
    }

    /** Waits for each launched service in turn, says when it is ready, then supervises them all. */
    private static void awaitAll(long t0, MeshServices services, List<MeshServices.Running> launched, Path root) {
        for (MeshServices.Running r : launched) {
            say(t0, ready(services.awaitReady(r, Duration.ofMinutes(3)), root));
        }
        // a service that exits is started again, with backoff, and the demo says so
        services.supervise(message -> say(t0, message));
    }

    private static String ready(MeshServices.Running r, Path root) {
        return r.name() + " ready on " + r.url() + " (log: " + root.relativize(r.log()) + ")";
    }

    /** What other meshctl commands in another shell need to reach this mesh. */
    private static void writeContext(MeshServices services, String bootstrap, GrantIssued grant, GrantIssued sweepGrant,
                                     GrantIssued gateGrant, GrantIssued triageGrant) {
        Connection.writeContext(bootstrap, services.get("run-state").url(), grant.getGrantId(), sweepGrant.getGrantId(),
                gateGrant.getGrantId(), Map.of("review-url", services.get("review").url(), "triage-grant", triageGrant.getGrantId(),
                        "review-user", PrincipalTools.REVIEW_PRINCIPAL_USER,
                        "review-password", PrincipalTools.REVIEW_PRINCIPAL_PASSWORD));
    }

    private RunState watch(long t0, RunStateClient client, String runId) {
        return watch(t0, client, runId, timeout);
    }

    /** Prints a progress line whenever it changes, until the run ends or waits for its principal. */
    static RunState watch(long t0, RunStateClient client, String runId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            Optional<RunState> state = client.poll(runId);
            if (state.isPresent()) {
                String line = progress(state.get());
                if (!line.equals(last)) {
                    say(t0, line);
                    last = line;
                }
                if (state.get().status().terminal() || state.get().status() == RunStatus.AWAITING_PRINCIPAL) {
                    return state.get();
                }
            }
            MeshServices.sleep(200);
        }
        throw new IllegalStateException("run " + runId + " did not finish within " + timeout);
    }

    static String progress(RunState s) {
        long done = s.plannedStages().stream()
                .filter(st -> s.stages().containsKey(st) && s.stages().get(st).status() == StageState.Status.COMPLETED)
                .count();
        int planned = Math.max(1, s.plannedStages().size());
        int width = 20;
        int filled = (int) (width * done / planned);
        String bar = "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
        String current = s.plannedStages().stream().filter(s.stages()::containsKey).map(s.stages()::get)
                .reduce((a, b) -> b).map(DemoCommand::stageLine).orElse("");
        String cells = "";
        if (s.sweep() != null && !s.sweep().cells().isEmpty()) {
            SweepState sw = s.sweep();
            long ok = sw.count(SweepState.CellStatus.SUCCEEDED);
            long failed = sw.cells().values().stream().filter(c -> c.status().terminal()
                    && c.status() != SweepState.CellStatus.SUCCEEDED).count();
            cells = String.format("  cells: %d/%d done, %d failed, %d running, %d queued", ok, sw.cells().size(), failed,
                    sw.count(SweepState.CellStatus.RUNNING), sw.count(SweepState.CellStatus.DISPATCHED));
        }
        String gate = "";
        if (s.gate() != null && !s.gate().requested().isEmpty()) {
            gate = "  assessments: " + s.gate().requested().keySet().stream().map(sp -> sp + "="
                    + (s.gate().assessments().containsKey(sp) ? s.gate().assessments().get(sp).verdict() : "…"))
                    .collect(Collectors.joining(" "));
        }
        return String.format("%s %d/%d stages  %-9s %s%s%s", bar, done, s.plannedStages().size(), s.status(), current, cells, gate);
    }

    private static String stageLine(StageState st) {
        String counts = st.counts().entrySet().stream().filter(e -> e.getKey().startsWith("rows."))
                .map(e -> e.getKey().substring(5) + ":" + e.getValue()).collect(Collectors.joining(","));
        return st.stage() + "=" + st.status() + (st.attempt() > 1 ? " (attempt " + st.attempt() + ")" : "")
                + (counts.isEmpty() ? "" : " " + counts);
    }

    /** What a person wants to read when the run is over: every stage, the dataset, the sweep's fan-in, the cost. */
    static String summary(RunState s) {
        StringBuilder out = new StringBuilder("run " + s.runId() + ": " + s.status() + "\n");
        for (String name : s.plannedStages()) {
            StageState st = s.stages().get(name);
            out.append(String.format("  %-19s %s%n", name, st == null ? "not started"
                    : stageLine(st).substring(name.length() + 1) + (st.reason() == null ? "" : "  reason: " + st.reason())));
        }
        if (s.dataset() != null) {
            out.append(String.format("  dataset             %s  %s  %s%n", s.dataset().checksum(), s.dataset().counts(), s.dataset().location()));
        }
        SweepState sw = s.sweep();
        if (sw != null && sw.finished()) {
            SweepState.Outcome o = sw.outcome();
            out.append(String.format("  sweep               %s: %s%n", o.outcome(), o.reason()));
            out.append(String.format("  ranking rule        %s%n", sw.rankingRule()));
            out.append(String.format("  %-24s %12s %12s %10s  %s%n", "cell", "val loss", "latency us", "train ms", "trainer"));
            o.ranking().stream().limit(5).map(sw.cells()::get).forEach(c -> out.append(String.format(
                    "  %-24s %12.5f %12.2f %10d  %s%n", c.cellId(), c.validationLoss(), c.inferenceLatencyMicros(),
                    c.trainMs(), c.agentInstance())));
            if (o.winnerCellId() != null) {
                out.append(String.format("  winner checkpoint   %s (%s)%n", o.winnerCheckpoint(), o.winnerChecksum()));
                SweepState.CellState winner = sw.cells().get(o.winnerCellId());
                if (winner != null && !winner.steps().isEmpty()) {
                    out.append(String.format("  winner steps        %s%n", steps(winner.steps())));
                }
            }
            o.failures().forEach((cell, reason) -> out.append(String.format("  failed cell         %s: %s%n", cell, reason)));
        }
        out.append(gateTrail(s));
        out.append(String.format("  cost                %d compute ms over %d events%n", s.computeMs(), s.eventCount()));
        return out.toString();
    }

    /** A cell's pipeline steps, each with its duration and what it measured: "train 80 ms (validation.loss 0.5), ...". */
    static String steps(List<SweepState.StepResult> steps) {
        return steps.stream().map(st -> st.step() + " " + st.durationMs() + " ms" + (st.metrics().isEmpty() ? ""
                : st.metrics().entrySet().stream().map(m -> String.format("%s %.4g", m.getKey(), m.getValue()))
                        .collect(Collectors.joining(", ", " (", ")")))).collect(Collectors.joining(", "));
    }

    /** The disposition trail: each assessment with its numbers, the conflicts, the decision and who made it. */
    static String gateTrail(RunState s) {
        GateState g = s.gate();
        if (g == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        if (g.candidate() != null) {
            out.append(String.format("  gate candidate      %s (%s)%n", g.candidate().cellId(), g.candidate().checkpoint()));
        }
        g.assessments().values().forEach(a -> out.append(String.format("  %-19s %-8s %s%n", a.specialist(), a.verdict(), a.summary())));
        g.requested().keySet().stream().filter(sp -> !g.assessments().containsKey(sp))
                .forEach(sp -> out.append(String.format("  %-19s %-8s %s%n", sp, "MISSING", "no assessment")));
        g.refusals().values().forEach(r -> out.append(String.format("  refused             %s at depth %d (max %d): %s%n",
                r.agentRole(), r.delegationDepth(), r.maxDepth(), r.reason())));
        if (g.debate() != null) {
            g.debate().arguments().values().forEach(a -> out.append(String.format("  debate round %d     for %-4s (%s): %s %s%n",
                    a.round(), a.side(), a.advocate(), a.argument(), a.evidence())));
            if (g.debate().ruling() != null) {
                GateState.Ruling r = g.debate().ruling();
                out.append(String.format("  debate ruling       %s%s by %s: %s (decided by %s)%n", r.ruling(),
                        r.binding() ? "" : " (recommended)", r.judge(), r.reason(), r.decidingEvidence()));
            } else if (g.debate().openedEventId() != null) {
                out.append(String.format("  debate              open until %s%n", g.debate().deadline()));
            }
        }
        if (g.decision() != null) {
            out.append(String.format("  gate decision       %s by %s: %s (rule: %s)%n", g.decision().disposition(),
                    g.decision().decidedBy(), g.decision().reason(), g.decision().rule()));
        }
        g.principalDecisions().values().forEach(p -> out.append(String.format("  principal           %s by %s: %s%n",
                p.decision(), p.decidedBy(), p.reason())));
        if (g.deployment() != null) {
            out.append(String.format("  deployed            %s of %s -> %s (previous: %s), decided by %s%n",
                    g.deployment().alias(), g.deployment().contract(), g.deployment().checkpoint(),
                    g.deployment().previousCheckpoint() == null ? "none" : g.deployment().previousCheckpoint(),
                    g.deployment().decidedBy()));
        }
        return out.toString();
    }

    private static void say(long t0, String message) {
        System.out.printf("[%6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, message);
    }

    /** The demo's broker: inside this JVM (the fastest start), or its own process, supervised like a service. */
    static final class Broker implements AutoCloseable {
        static final String NAME = "broker";
        private final EmbeddedKafka embedded;
        private final KafkaCluster cluster;

        private Broker(EmbeddedKafka embedded, KafkaCluster cluster) {
            this.embedded = embedded;
            this.cluster = cluster;
        }

        static Broker start(boolean process, Path dir) {
            return process ? new Broker(null, KafkaCluster.start(1, dir)) : new Broker(EmbeddedKafka.start(), null);
        }

        String bootstrapServers() {
            return cluster != null ? cluster.bootstrapServers() : embedded.bootstrapServers();
        }

        /** A broker process is listed with the services, and started again (same port, same log) when it exits. */
        void superviseWith(MeshServices services) {
            if (cluster != null) {
                services.adopt(running(), () -> {
                    cluster.start(1, Duration.ofMinutes(2));
                    return running();
                });
            }
        }

        private MeshServices.Running running() {
            return new MeshServices.Running(NAME, cluster.process(1), cluster.brokerPort(1), cluster.log(1));
        }

        @Override
        public void close() {
            if (cluster != null) {
                cluster.close();
            } else {
                embedded.close();
            }
        }
    }
}
