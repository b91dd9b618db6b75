package dev.agentmesh.meshctl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentmesh.core.MeshHeaders;
import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.runstate.GateState;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.runstate.SweepState;
import dev.agentmesh.runstate.TriageState;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What an assistant may ask of the mesh (the MCP server's tools), each answer within the asker's grant: {@code read}
 * on the run, or on its pipeline, judged at this process's clock. Nothing here writes.
 */
final class MeshQueries {

    /** Where the answers come from: run-state and the review queue. */
    interface Sources {
        List<Map<String, Object>> runs();

        Optional<RunState> run(String runId);

        List<CostRollup.Node> costs(String runId);

        /** The review service's items, as it serves them. */
        List<JsonNode> reviewItems();
    }

    /** The asker's authority to read {@code resource}, now. */
    interface Authority {
        Decision read(String resource);
    }

    /** An answer: a person-readable text and the same as data, or a refusal with its reason. */
    record Answer(boolean refused, String text, Object data) {
        static Answer of(String text, Object data) {
            return new Answer(false, text, data);
        }

        static Answer refusal(String reason) {
            return new Answer(true, reason, Map.of("refused", reason));
        }
    }

    record RunLine(String runId, String status, String pipeline, String triggeredAt, String lastEventAt) {
    }

    record StageLine(String stage, String status, int attempt, Long durationMs, String reason) {
    }

    record RunView(String runId, String status, String pipeline, String requestedBy, Instant triggeredAt,
                   Instant lastEventAt, List<StageLine> stages, Map<String, Long> cells, String winner,
                   String gateDecision, long computeMs, long tokens) {
    }

    /** Dead letters and other review items of one reason: how many, how many still open, and a few ids. */
    record ReasonGroup(String reason, long items, long open, List<String> examples) {
    }

    /** What went wrong, the run's review items by reason, and the commands that would act on it (none is run here). */
    record Diagnosis(String runId, String status, List<String> findings, List<ReasonGroup> deadLetters,
                     List<String> remedies, TriageState triage) {
    }

    static final int EXAMPLES = 3;

    private final Sources sources;
    private final Authority authority;

    MeshQueries(Sources sources, Authority authority) {
        this.sources = sources;
        this.authority = authority;
    }

    Answer listRuns(String status, String pipeline, int limit) {
        List<RunLine> runs = new ArrayList<>();
        int withheld = 0;
        for (Map<String, Object> run : sources.runs()) {
            RunLine line = new RunLine(text(run.get("runId")), text(run.get("status")), text(run.get("pipeline")),
                    text(run.get("triggeredAt")), text(run.get("lastEventAt")));
            if ((status != null && !status.equalsIgnoreCase(line.status()))
                    || (pipeline != null && !pipeline.equals(line.pipeline()))) {
                continue;
            }
            if (!readable(line.runId(), line.pipeline()).allowed()) {
                withheld++;
                continue;
            }
            if (runs.size() < limit) {
                runs.add(line);
            }
        }
        StringBuilder text = new StringBuilder();
        runs.forEach(r -> text.append(String.format("%s  %s  %s  triggered %s%n", r.runId(), r.status(),
                r.pipeline(), r.triggeredAt())));
        if (runs.isEmpty()) {
            text.append("no runs").append(status == null && pipeline == null ? "" : " match").append('\n');
        }
        if (withheld > 0) {
            text.append(withheld).append(" run(s) outside this grant left out\n");
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("runs", runs);
        data.put("withheld", withheld);
        return Answer.of(text.toString(), data);
    }

    Answer showRun(String runId) {
        return withRun(runId, state -> Answer.of(DemoCommand.summary(state), view(state)));
    }

    Answer costs(String runId) {
        return withRun(runId, state -> {
            List<CostRollup.Node> nodes = sources.costs(runId);
            StringBuilder text = new StringBuilder("run " + runId + ": compute " + state.computeMs() + " ms, "
                    + state.tokens() + " tokens\n");
            nodes.forEach(n -> text.append("  ").append(n).append('\n'));
            return Answer.of(text.toString(), nodes);
        });
    }

    /** Why a run failed, stalled or was held: the failed stages and cells with their reasons, the gate, the dead letters. */
    Answer whyFailed(String runId) {
        return withRun(runId, state -> {
            List<String> findings = new ArrayList<>();
            List<String> remedies = new ArrayList<>();
            state.stages().values().stream().filter(s -> s.status() == StageState.Status.FAILED)
                    .forEach(s -> {
                        findings.add("stage " + s.stage() + " failed (attempt " + s.attempt() + "): "
                                + Objects.requireNonNullElse(s.reason(), "no reason recorded"));
                        remedies.add("once the cause is fixed: meshctl runs resume " + runId + " --from " + s.stage());
                    });
            if (state.stall() != null) {
                findings.add("stalled in " + state.stall().stage() + " since " + state.stall().at() + ": "
                        + state.stall().reason());
                remedies.add("once the stage's service is back: meshctl runs resume " + runId + " --from " + state.stall().stage());
            }
            if (state.sweep() != null) {
                Map<String, Long> failedCells = new TreeMap<>();
                state.sweep().cells().values().stream()
                        .filter(c -> c.status() == SweepState.CellStatus.FAILED || c.status() == SweepState.CellStatus.TIMED_OUT)
                        .forEach(c -> failedCells.merge(c.status() + ": " + Objects.requireNonNullElse(c.reason(), "no reason"),
                                1L, Long::sum));
                failedCells.forEach((reason, n) -> findings.add(n + " sweep cell(s) " + reason));
                if (!failedCells.isEmpty() && state.status() == RunStatus.FAILED) {
                    remedies.add("after changing the grid or the data: meshctl runs resume " + runId + " --from sweep");
                }
            }
            GateState.Decision decision = state.gate() == null ? null : state.gate().decision();
            if (decision != null && !"SHIP".equalsIgnoreCase(decision.disposition())) {
                findings.add("gate: " + decision.disposition() + " by " + decision.decidedBy() + ": " + decision.reason());
                if (state.status() == RunStatus.AWAITING_PRINCIPAL) {
                    remedies.add("the principal decides: meshctl runs decide " + runId + " approve|reject --reason ...");
                }
            }
            List<ReasonGroup> deadLetters;
            String reviewUnread = null;
            try {
                deadLetters = groups(items(runId));
            } catch (RuntimeException e) { // the run's own state still answers without the review service
                deadLetters = List.of();
                reviewUnread = "  review items not read: " + e.getMessage() + "\n";
            }
            long open = deadLetters.stream().mapToLong(ReasonGroup::open).sum();
            if (open > 0) {
                remedies.add("re-drive or discard " + open + " open review item(s) by reason: the review page, or meshctl dlq list");
            }
            if (findings.isEmpty()) {
                findings.add(state.status() == RunStatus.FAILED ? "the run failed, but no stage, cell or gate recorded why"
                        : "nothing failed: the run is " + state.status());
            }
            StringBuilder text = new StringBuilder("run " + runId + ": " + state.status() + "\n");
            findings.forEach(f -> text.append("  - ").append(f).append('\n'));
            if (!deadLetters.isEmpty()) {
                text.append("  review items by reason:\n");
                deadLetters.forEach(g -> text.append(String.format("    %d (%d open)  %s%n", g.items(), g.open(), g.reason())));
            }
            if (reviewUnread != null) {
                text.append(reviewUnread);
            }
            text.append(TriageReport.text(state.triage()));
            if (!remedies.isEmpty()) {
                text.append("  what would act on it:\n");
                remedies.forEach(r -> text.append("    ").append(r).append('\n'));
            }
            return Answer.of(text.toString(), new Diagnosis(runId, state.status().name(), findings, deadLetters, remedies,
                    state.triage()));
        });
    }

    /** Dead letters and other review items grouped by reason, for one run or for every run the grant reads. */
    Answer deadLetters(String runId) {
        if (runId != null) {
            return withRun(runId, state -> reasonAnswer(groups(items(runId))));
        }
        Map<String, Optional<String>> pipelines = new LinkedHashMap<>();
        sources.runs().forEach(r -> pipelines.put(text(r.get("runId")), Optional.ofNullable(text(r.get("pipeline")))));
        List<JsonNode> visible = sources.reviewItems().stream().filter(item -> {
            String run = text(item.path("runId"));
            return run == null ? authority.read(Resources.reviewItem(text(item.path("id")))).allowed()
                    : readable(run, pipelines.getOrDefault(run, Optional.empty()).orElse(null)).allowed();
        }).toList();
        return reasonAnswer(groups(visible));
    }

    private Answer reasonAnswer(List<ReasonGroup> groups) {
        StringBuilder text = new StringBuilder();
        groups.forEach(g -> text.append(String.format("%d (%d open)  %s  e.g. %s%n", g.items(), g.open(), g.reason(),
                String.join(", ", g.examples()))));
        if (groups.isEmpty()) {
            text.append("no review items\n");
        }
        return Answer.of(text.toString(), Map.of("groups", groups));
    }

    private List<JsonNode> items(String runId) {
        return sources.reviewItems().stream().filter(i -> runId.equals(text(i.path("runId")))).toList();
    }

    static List<ReasonGroup> groups(List<JsonNode> items) {
        Map<String, List<JsonNode>> byReason = new TreeMap<>();
        items.forEach(i -> byReason.computeIfAbsent(reasonOf(i), k -> new ArrayList<>()).add(i));
        return byReason.entrySet().stream()
                .map(e -> new ReasonGroup(e.getKey(), e.getValue().size(),
                        e.getValue().stream().filter(i -> isOpen(text(i.path("status")))).count(),
                        e.getValue().stream().map(i -> text(i.path("id"))).limit(EXAMPLES).toList()))
                .sorted(Comparator.comparingLong(ReasonGroup::items).reversed().thenComparing(ReasonGroup::reason))
                .toList();
    }

    /** A rejected row by its contract violations (its reason names the row too), as the review page groups it. */
    static String reasonOf(JsonNode item) {
        String rejections = text(item.path("headers").path(MeshHeaders.ROW_REJECTIONS));
        return rejections != null ? rejections : Objects.requireNonNullElse(text(item.path("reason")), "(no reason)");
    }

    private static boolean isOpen(String status) {
        return "OPEN".equals(status) || "ESCALATED".equals(status);
    }

    private Answer withRun(String runId, Function<RunState, Answer> answer) {
        if (runId == null || runId.isBlank()) {
            return Answer.refusal("name a run (runId)");
        }
        Optional<RunState> state = sources.run(runId);
        Decision decision = readable(runId, state.map(RunState::pipeline).orElse(null));
        if (!decision.allowed()) {
            return Answer.refusal("refused: " + decision.reason());
        }
        return state.map(answer).orElseGet(() -> Answer.refusal("run-state knows no run " + runId));
    }

    /** {@code read} on the run, or on the run's pipeline. */
    private Decision readable(String runId, String pipeline) {
        Decision onRun = authority.read(Resources.run(runId));
        if (onRun.allowed() || pipeline == null) {
            return onRun;
        }
        Decision onPipeline = authority.read(Resources.pipeline(pipeline));
        return onPipeline.allowed() ? onPipeline : onRun;
    }

    static RunView view(RunState s) {
        List<StageLine> stages = new ArrayList<>();
        for (String name : s.plannedStages()) {
            StageState st = s.stages().get(name);
            stages.add(st == null ? new StageLine(name, "NOT_STARTED", 0, null, null)
                    : new StageLine(name, st.status().name(), st.attempt(),
                    st.startedAt() == null || st.finishedAt() == null ? null
                            : Duration.between(st.startedAt(), st.finishedAt()).toMillis(), st.reason()));
        }
        Map<String, Long> cells = new TreeMap<>();
        if (s.sweep() != null) {
            s.sweep().cells().values().forEach(c -> cells.merge(c.status().name(), 1L, Long::sum));
        }
        GateState gate = s.gate();
        String winner = gate == null || gate.candidate() == null ? null : gate.candidate().cellId();
        String decision = gate == null || gate.decision() == null ? null
                : gate.decision().disposition() + " (" + gate.decision().decidedBy() + ")";
        return new RunView(s.runId(), s.status().name(), s.pipeline(), s.requestedBy(), s.triggeredAt(), s.lastEventAt(),
                stages, cells, winner, decision, s.computeMs(), s.tokens());
    }

    private static String text(Object value) {
        if (value instanceof JsonNode node) {
            return node.isMissingNode() || node.isNull() ? null : node.asText();
        }
        return value == null ? null : value.toString();
    }
}
