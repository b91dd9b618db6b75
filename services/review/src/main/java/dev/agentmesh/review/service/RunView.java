package dev.agentmesh.review.service;

import dev.agentmesh.runstate.GateState;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.StageState;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the console's run page shows, from a run's state alone: stages, sweep, gate, cost. No Kafka, no HTTP. */
public record RunView(String runId, String status, String pipeline, String requestedBy, String source,
                      String triggeredAt, String duration, long computeMs, long events, List<Stage> stages,
                      SweepChart sweep, String rankingRule, String sweepOutcome, Gate gate, boolean awaitingPrincipal,
                      List<String> commands, boolean ended) {

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
                       String reason, String decidedBy, String deployment) {
    }

    /** One specialist's verdict, or MISSING when it was asked and did not answer. */
    public record Verdict(String specialist, String verdict, String summary, List<Map.Entry<String, String>> evidence) {
    }

    public static RunView of(RunState s) {
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
                s.status() == RunStatus.AWAITING_PRINCIPAL, commands(s), s.status().terminal());
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
            verdicts.add(new Verdict(a.specialist(), a.verdict(), nz(a.summary()), evidence));
        });
        g.requested().keySet().stream().filter(sp -> !g.assessments().containsKey(sp))
                .forEach(sp -> verdicts.add(new Verdict(sp, "MISSING", "asked, no assessment", List.of())));
        GateState.Decision d = g.decision();
        String deployment = g.deployment() == null ? "" : g.deployment().alias() + " → " + g.deployment().checkpoint()
                + " (" + g.deployment().disposition() + " by " + g.deployment().decidedBy() + ")";
        return new Gate(g.candidate() == null ? "" : g.candidate().cellId() + " (" + g.candidate().checkpoint() + ")",
                verdicts, d == null ? List.of() : d.conflicts(), d == null ? "" : d.disposition(),
                d == null ? "" : nz(d.reason()), d == null ? "" : nz(d.decidedBy()), deployment);
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
