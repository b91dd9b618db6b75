package dev.agentmesh.sweeporchestrator;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Stages;
import dev.agentmesh.fanout.SweepDecider;
import dev.agentmesh.fanout.SweepDecider.Authority;
import dev.agentmesh.fanout.SweepDecider.Outputs;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.grant.GrantEvent;
import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.GrantKeys;
import dev.agentmesh.grants.GrantLedger;
import dev.agentmesh.grants.Grants;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.ActiveRuns;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.service.Outbox;
import dev.agentmesh.service.RunProcessManager;
import dev.agentmesh.service.RunWorker;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import dev.agentmesh.sweep.CellTask;
import dev.agentmesh.sweep.SweepControl;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Thin shell around {@link SweepDecider}, run by the {@link RunProcessManager} (see {@link TopologyProducer}). It
 * folds each run's events with the run-state reducer, asks the decider what to do, sends that, and folds what it
 * sent. Its runs live in the process manager's changelogged store; ticks re-ask the decider, so timeouts fire
 * without new events.
 */
@ApplicationScoped
public class SweepOrchestratorService implements RunWorker {

    private static final Logger LOG = Logger.getLogger(SweepOrchestratorService.class);
    private static final String TRAINER_POOL = "trainer";

    private final MeshCodecs codecs;
    private final GrantGate grants;
    private final MeterRegistry metrics;
    private final SweepDecider decider;
    private final String role;
    private final String instance;
    private final Optional<KeyPair> agentKey;
    private final Clock clock = Clock.systemUTC();

    public SweepOrchestratorService(MeshCodecs codecs, GrantGate grants, MeterRegistry metrics,
                                    @ConfigProperty(name = "mesh.agent.role") String role,
                                    @ConfigProperty(name = "mesh.agent.instance") String instance,
                                    @ConfigProperty(name = "mesh.grants.agent-keys-dir") Optional<Path> keysDir) {
        this.codecs = codecs;
        this.grants = grants;
        this.metrics = metrics;
        this.role = role;
        this.instance = instance;
        this.decider = new SweepDecider(role, instance, clock);
        this.agentKey = keysDir.filter(dir -> Files.isRegularFile(dir.resolve(role + ".key")))
                .map(dir -> GrantKeys.load(dir, role));
        if (agentKey.isEmpty()) {
            LOG.warn("no agent key (mesh.grants.agent-keys-dir): trainers will act under the sweep grant itself");
        }
    }

    @Override
    public String stage() {
        return Stages.SWEEP;
    }

    @Override
    public List<Topic<?, ?>> outputs() {
        return List.of(Topics.RUN_EVENTS, Topics.SWEEP_TASKS, Topics.SWEEP_CONTROL, Topics.GRANTS);
    }

    @Override
    @MeshHandler
    public void handle(LoggedRecord record, ActiveRuns runs, Outbox out) {
        RunEvent event = codecs.runEvents().decode(record.value());
        runs.fold(event).filter(RunState::triggered).ifPresent(state -> act(state, runs, out));
    }

    @Override
    public void tick(ActiveRuns runs, Outbox out) {
        grants.batch(() -> {
            for (RunState state : runs.all()) {
                if (state.sweep() != null && state.sweep().plannedBy() != null && !state.sweep().finished()) {
                    act(state, runs, out);
                }
            }
        });
    }

    private void act(RunState state, ActiveRuns runs, Outbox out) {
        String runId = state.runId();
        Authority authority = authority(state);
        if (SweepDecider.readyToPlan(state)) {
            state = send(state, plan(state, authority, out), out);
        }
        state = send(state, decider.next(state, authority, clock.instant()), out);
        StageState sweepStage = state.stages().get(Stages.SWEEP);
        if ((state.sweep() != null && state.sweep().finished())
                || (sweepStage != null && sweepStage.status() == StageState.Status.FAILED)) {
            LOG.infof("run %s: sweep %s", runId, state.sweep() != null && state.sweep().finished()
                    ? state.sweep().outcome().outcome() + " - " + state.sweep().outcome().reason() : sweepStage.reason());
            runs.settle(state);
        } else {
            runs.put(state);
        }
    }

    private Outputs plan(RunState state, Authority authority, Outbox out) {
        if (!authority.decision().allowed()) {
            return decider.planFailed(state, authority, "unauthorised: " + authority.decision().reason());
        }
        SweepGrid grid;
        try {
            grid = SweepGrid.load(SweepDecider.gridName(state));
        } catch (RuntimeException e) {
            return decider.planFailed(state, authority, e.getMessage());
        }
        return decider.plan(state, grid, authority, delegateToTrainers(state, authority, out));
    }

    /** The grant it acts under: the run's {@code sweep.grant}, judged now against the ledger. */
    private Authority authority(RunState state) {
        String grantId = state.parameters().get(SweepDecider.PARAM_GRANT);
        if (grantId == null) {
            return new Authority(null, 0, Decision.refused("the run names no sweep grant (trigger parameter "
                    + SweepDecider.PARAM_GRANT + ")"), null);
        }
        // The orchestrator acts at its grant's own depth: the ledger knows it, the request need not repeat it.
        GrantGate.Assessment assessed = grants.assess(new ActionRequest(grantId, Actions.SPEND_COMPUTE,
                Resources.run(state.runId()), 0, 0, clock.instant()));
        int depth = assessed.entry().map(GrantLedger.Entry::depth).orElse(0);
        return new Authority(grantId, depth, assessed.decision(), assessed.budget().orElse(null));
    }

    /**
     * Hands the trainer pool a grant for this run only, narrowed from the sweep grant and signed with this agent's key.
     * The grantee key is thrown away: the pool can act under the grant but cannot delegate it further.
     */
    private String delegateToTrainers(RunState state, Authority authority, Outbox out) {
        Optional<GrantLedger.Entry> parent = grants.entry(authority.grantId());
        if (agentKey.isEmpty() || parent.isEmpty()) {
            return null;
        }
        GrantIssued sweepGrant = parent.get().grant();
        List<String> actions = sweepGrant.getScope().getActions().stream()
                .filter(a -> a.equals(Actions.SPEND_COMPUTE) || a.equals(Actions.WRITE_CHECKPOINTS)).toList();
        GrantIssued child = Grants.delegate(sweepGrant, agentKey.get(), TRAINER_POOL, GrantKeys.generate().getPublic(),
                Grants.scope(actions, List.of(Resources.run(state.runId())), authority.budgetComputeMs()),
                sweepGrant.getExpiresAt(), sweepGrant.getMaxDepth());
        GrantEvent event = new GrantEvent(new Envelopes(role, instance, clock).origin(state.runId(), authority.grantId()), child);
        out.send(Topics.GRANTS, child.getGrantId(), codecs.grants().encode(event));
        return child.getGrantId();
    }

    private RunState send(RunState state, Outputs outputs, Outbox out) {
        for (RunEvent e : outputs.runEvents()) {
            out.send(e);
            state = RunStateReducer.apply(state, e);
        }
        for (CellTask task : outputs.tasks()) {
            out.send(Topics.SWEEP_TASKS, task.getConfig().getCellId() + "#" + task.getEnvelope().getAttempt(),
                    codecs.cellTasks().encode(task));
            metrics.counter("mesh.sweep.cells.dispatched").increment();
        }
        for (SweepControl control : outputs.controls()) {
            out.send(Topics.SWEEP_CONTROL, state.runId(), codecs.sweepControl().encode(control));
        }
        return state;
    }

}
