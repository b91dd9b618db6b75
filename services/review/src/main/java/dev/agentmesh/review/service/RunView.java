package dev.agentmesh.review.service;

import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.core.Reliability;
import dev.agentmesh.runstate.GateState;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.runstate.TriageState;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** What the console's run page shows, from a run's state alone: stages, sweep, gate, cost. No Kafka, no HTTP. */
public record RunView(String runId, String status, String pipeline, String requestedBy, String source,
                      String triggeredAt, String duration, long computeMs, long events, List<Stage> stages,
                      SweepChart sweep, String rankingRule, String sweepOutcome, Gate gate, boolean awaitingPrincipal,
                      List<String> commands, boolean ended, List<CostLine> costs, Diagnosis diagnosis) {

    /**
     * The triage supervisor's current diagnosis: the failure classes, each investigator's finding with its evidence,
     * those that did not answer, and the proposal (with the command that applies it); refusals of triage requests.
     */
    public record Diagnosis(String triageId, List<String> classes, List<Finding> findings, List<String> missing,
                            String remediationKind, String remediation, String command, List<String> refusals,
                            boolean pending) {
    }

    public record Finding(String investigator, String failureClass, String summary, List<String> evidence) {
    }

    /** One grant of the run's delegation tree, indented under its parent: what was spent under it, and its budget. */
    public record CostLine(String grant, String grantee, int indent, long directMs, long subtreeMs, String budgetMs,
                           long events) {
        public String shortId() {
            return grant.length() > 8 ? grant.substring(0, 8) : grant;
        }

        public String pad() {
            return (0.5 + indent * 1.5) + "em";
        }
    }

    /** What changes whenever the run does: the page polls it while the run has not ended. */
    public String version() {
        return version(status, events);
    }

    static String version(String status, long events) {
        return status + ":" + events;
    }

    /** One planned stage: its status and how long it took, or "not started". */
    public record Stage(String name, String status, int attempt, String duration, String reason, String agent) {
    }

    public record Gate(String candidate, List<Verdict> verdicts, List<String> conflicts, String disposition,
                       String reason, String decidedBy, String deployment, Debate debate) {
    }

    /** The debate held on a conflict: each argument by round and side, and the judge's ruling (empty until it rules). */
    public record Debate(List<Argument> arguments, String ruling, String rulingReason, String judge, boolean binding) {
    }

    public record Argument(int round, String side, String advocate, String argument) {
    }

    /** One specialist's verdict, or MISSING when it was asked and did not answer. */
    public record Verdict(String specialist, String verdict, String summary, List<Map.Entry<String, String>> evidence,
                          List<SubgroupChart> subgroups, List<ThresholdChart> thresholds) {

        /** Whether the verdict has any picture to show. */
        public boolean drawn() {
            return !subgroups.isEmpty() || !thresholds.isEmpty();
        }
    }

    public static RunView of(RunState s) {
        return of(s, List.of());
    }

    /** The run, with its cost tree ({@code costs}: run-state's roll-up, any order; empty when unknown). */
    public static RunView of(RunState s, List<CostRollup.Node> costs) {
        List<Stage> stages = new ArrayList<>();
        for (String name : s.plannedStages()) {
            StageState st = s.stages().get(name);
            stages.add(st == null ? new Stage(name, "NOT_STARTED", 0, "", "", "")
                    : new Stage(name, st.status().name(), st.attempt(), between(st.startedAt(), st.finishedAt()),
                    st.reason() == null ? "" : st.reason(), st.agentInstance() == null ? "" : st.agentInstance()));
        }
        SweepChart chart = s.sweep() == null ? null : SweepChart.of(s.sweep());
        String outcome = s.sweep() == null || s.sweep().outcome() == null ? ""
                : s.sweep().outcome().outcome() + ": " + s.sweep().outcome().reason();
        return new RunView(s.runId(), s.status().name(), nz(s.pipeline()), nz(s.requestedBy()), nz(s.source()),
                s.triggeredAt() == null ? "" : s.triggeredAt().toString(), between(s.triggeredAt(), s.lastEventAt()),
                s.computeMs(), s.eventCount(), stages, chart,
                s.sweep() == null ? "" : nz(s.sweep().rankingRule()), outcome, gate(s.gate()),
                s.status() == RunStatus.AWAITING_PRINCIPAL, commands(s), s.status().terminal(), costLines(costs),
                diagnosis(s.triage()));
    }

    private static Gate gate(GateState g) {
        if (g == null) {
            return null;
        }
        List<Verdict> verdicts = new ArrayList<>();
        g.assessments().values().forEach(a -> {
            List<Map.Entry<String, String>> evidence = new ArrayList<>();
            a.metrics().forEach((k, v) -> evidence.add(Map.entry(k, String.format(Locale.ROOT, "%.4g", v))));
            evidence.addAll(a.evidence().entrySet());
            List<ThresholdChart> thresholds = new ArrayList<>();
            ThresholdChart.psi(a.metrics()).ifPresent(thresholds::add);
            ThresholdChart.costAgainstBudget(a.metrics()).ifPresent(thresholds::add);
            verdicts.add(new Verdict(a.specialist(), a.verdict(), nz(a.summary()), evidence, SubgroupChart.of(a.metrics()),
                    thresholds));
        });
        g.requested().keySet().stream().filter(sp -> !g.assessments().containsKey(sp))
                .forEach(sp -> verdicts.add(new Verdict(sp, "MISSING", "asked, no assessment", List.of(), List.of(), List.of())));
        GateState.Decision d = g.decision();
        String deployment = g.deployment() == null ? "" : g.deployment().alias() + " → " + g.deployment().checkpoint()
                + " (" + g.deployment().disposition() + " by " + g.deployment().decidedBy() + ")";
        Debate debate = null;
        if (g.debate() != null) {
            GateState.Ruling r = g.debate().ruling();
            debate = new Debate(g.debate().arguments().values().stream()
                    .map(a -> new Argument(a.round(), a.side(), nz(a.advocate()), nz(a.argument()))).toList(),
                    r == null ? "" : r.ruling(), r == null ? "" : nz(r.reason()), r == null ? "" : nz(r.judge()),
                    r != null && r.binding());
        }
        return new Gate(g.candidate() == null ? "" : g.candidate().cellId() + " (" + g.candidate().checkpoint() + ")",
                verdicts, d == null ? List.of() : d.conflicts(), d == null ? "" : d.disposition(),
                d == null ? "" : nz(d.reason()), d == null ? "" : nz(d.decidedBy()), deployment, debate);
    }

    private static Diagnosis diagnosis(TriageState t) {
        if (t == null) {
            return null;
        }
        List<String> refusals = t.refusals().values().stream().map(TriageState.Refusal::reason).toList();
        TriageState.Opened opened = t.current().orElse(null);
        if (opened == null) {
            return refusals.isEmpty() ? null : new Diagnosis("", List.of(), List.of(), List.of(), "", "", "", refusals, false);
        }
        List<Finding> findings = t.currentFindings().stream()
                .map(f -> new Finding(f.investigator(), f.failureClass(), f.summary(), f.evidenceLines())).toList();
        TriageState.Diagnosis d = t.currentDiagnosis().orElse(null);
        return d == null
                ? new Diagnosis(opened.triageId(), opened.classes(), findings, List.of(), "", "", "", refusals, true)
                : new Diagnosis(opened.triageId(), opened.classes(), findings, d.missing(), d.remediationKind(),
                nz(d.remediation()), nz(d.command()), refusals, false);
    }

    /** A pipeline's compound reliability as the page shows it: each stage's first-attempt rate, predicted and measured. */
    public record ReliabilityView(String pipeline, int runs, int window, List<StageRate> stages, String predicted,
                                  String measured) {
    }

    public record StageRate(String stage, String role, long successes, long count, String percent) {
    }

    static ReliabilityView reliability(Reliability r) {
        return r == null ? null : new ReliabilityView(r.pipeline(), r.runs(), r.window(), r.stages().stream()
                .map(st -> new StageRate(st.stage(), st.role(), st.firstAttempt().successes(), st.firstAttempt().count(),
                        percent(st.firstAttempt().rate()))).toList(), percent(r.predicted()),
                r.measured().successes() + "/" + r.measured().count() + " (" + percent(r.measured().rate()) + ")");
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f %%", 100 * share);
    }

    /** The roll-up as a tree, depth first: a node whose parent is not in the run's tree is a root. */
    static List<CostLine> costLines(List<CostRollup.Node> nodes) {
        Set<String> ids = new HashSet<>();
        nodes.forEach(n -> ids.add(n.grantId()));
        Map<String, List<CostRollup.Node>> children = new TreeMap<>();
        for (CostRollup.Node n : nodes) {
            String parent = n.parentGrantId() != null && ids.contains(n.parentGrantId()) ? n.parentGrantId() : "";
            children.computeIfAbsent(parent, k -> new ArrayList<>()).add(n);
        }
        List<CostLine> lines = new ArrayList<>();
        addLines(lines, children, "", 0);
        return lines;
    }

    private static void addLines(List<CostLine> lines, Map<String, List<CostRollup.Node>> children, String parent, int indent) {
        for (CostRollup.Node n : children.getOrDefault(parent, List.of())) {
            Long budget = n.budget() == null ? null : n.budget().computeMs();
            lines.add(new CostLine(n.grantId(), n.grantee() == null ? "unknown grant" : n.grantee(), indent,
                    n.direct().computeMs(), n.subtree().computeMs(), budget == null ? "" : budget.toString(), n.events()));
            if (!n.grantId().equals(parent)) {
                addLines(lines, children, n.grantId(), indent + 1);
            }
        }
    }

    /** The commands a person would run next on this run (shown, never run by the page). */
    private static List<String> commands(RunState s) {
        List<String> commands = new ArrayList<>();
        commands.add("meshctl replay --run " + s.runId() + " --verify");
        commands.add("meshctl runs costs " + s.runId());
        if (s.status() == RunStatus.FAILED || s.status() == RunStatus.STALLED) {
            commands.add("meshctl runs diagnose " + s.runId());
        }
        return commands;
    }

    static String between(Instant from, Instant to) {
        if (from == null || to == null) {
            return "";
        }
        Duration d = Duration.between(from, to);
        long ms = d.toMillis();
        return ms < 1_000 ? ms + " ms" : ms < 120_000 ? String.format(Locale.ROOT, "%.1f s", ms / 1000.0)
                : d.toMinutes() + " min " + d.toSecondsPart() + " s";
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
