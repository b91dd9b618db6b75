package dev.agentmesh.meshctl;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.fanout.SweepDecider;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.serde.MeshCodec;
import dev.agentmesh.team.GateDecider;
import dev.agentmesh.testing.TopicProbe;
import dev.agentmesh.topics.Topics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Nightly runs for the suites that drive a whole mesh: a small four-cell grid, and triggers carrying their grants. */
final class NightlyRuns {

    static final Path CREDIT_G = MeshServices.repoRoot().resolveSibling("shared").resolve("data").resolve("credit-g.csv");

    private final String bootstrap;
    private final Path keys;
    private final GrantIssued operatorGrant;
    private final Path grid;
    private final MeshCodec<RunEvent> events;

    NightlyRuns(String bootstrap, Path keys, GrantIssued operatorGrant, Path work, MeshCodec<RunEvent> events) throws IOException {
        this.bootstrap = bootstrap;
        this.keys = keys;
        this.operatorGrant = operatorGrant;
        this.events = events;
        this.grid = work.resolve("grids/four-cells.yaml");
        Files.createDirectories(grid.getParent());
        Files.writeString(grid, "name: four-cells\narchitectures: [{name: logistic, kind: logistic}]\n"
                + "learning_rates: [0.03, 0.1]\nbatch_sizes: [32, 64]\nepochs: 3\nseed: 42\npolicy: {max_concurrency: 2,"
                + " cell_timeout: PT60S, max_attempts: 3, min_successes: 4, on_partial: fail, mode: gather,"
                + " cell_cost_estimate_ms: 100}\n");
    }

    /** Publishes the run's sweep and gate grants, then its trigger (the whole nightly plan on credit-g). */
    String trigger(String runId) {
        Map<String, String> parameters = new HashMap<>();
        parameters.put(SweepDecider.PARAM_GRID, grid.toString());
        parameters.put(SweepDecider.PARAM_SEED, "42");
        parameters.put(SweepDecider.PARAM_GRANT, PrincipalTools.issueSweepGrant(bootstrap, keys, operatorGrant,
                "run:" + runId, 600_000).getGrantId());
        parameters.put(GateDecider.PARAM_GRANT, PrincipalTools.issueGateGrant(bootstrap, keys, operatorGrant,
                "run:" + runId).getGrantId());
        Envelope origin = new Envelopes("meshctl", "it").origin(runId, operatorGrant.getGrantId());
        RunEvent trigger = RunEvents.triggered(origin, "nightly", "it", SourceKind.CSV, CREDIT_G.toString(),
                "credit-g", Stages.NIGHTLY, parameters);
        TopicProbe.send(bootstrap, Topics.RUN_EVENTS.name(), runId.getBytes(StandardCharsets.UTF_8), events.encode(trigger));
        return runId;
    }

    /** A run has reached an end of its own: finished, or waiting for its principal's decision. */
    static boolean settled(RunState s) {
        return s.status().terminal() || s.status() == RunStatus.AWAITING_PRINCIPAL;
    }
}
