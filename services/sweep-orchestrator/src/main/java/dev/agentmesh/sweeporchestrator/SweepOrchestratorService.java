package dev.agentmesh.sweeporchestrator;

import dev.agentmesh.service.MeshHandler;
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
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.service.ActiveRuns;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.StageSupport;
import dev.agentmesh.sweep.CellTask;
import dev.agentmesh.sweep.SweepControl;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Thin Kafka shell around {@link SweepDecider}. It folds each run's events with the run-state reducer, asks the
 * decider what to do, sends that, and folds what it sent. A run it has no memory of (after a restart) is rebuilt
 * from the log before its next event is applied. A ticker re-asks the decider, so timeouts fire without new events.
 */
@ApplicationScoped
public class SweepOrchestratorService {

    private static final Logger LOG = Logger.getLogger(SweepOrchestratorService.class);
    private static final String TRAINER_POOL = "trainer";

    private final MeshCodecs codecs;
    private final StageSupport stage;
    private final GrantGate grants;
    private final MeterRegistry metrics;
    private final SweepDecider decider;
    private final String role;
    private final String instance;
    private final Optional<KeyPair> agentKey;
    private final Duration tick;
    private final MutinyEmitter<byte[]> runEventsOut;
    private final MutinyEmitter<byte[]> cellTasksOut;
    private final MutinyEmitter<byte[]> sweepControlOut;
    private final MutinyEmitter<byte[]> grantsOut;
    private final Clock clock = Clock.systemUTC();

    /** Runs whose sweep is pending or under way, folded from their events; settled ones are ignored. */
    private final ActiveRuns runs;
    private ScheduledExecutorService ticker;

    public SweepOrchestratorService(MeshCodecs codecs, StageSupport stage, GrantGate grants, MeterRegistry metrics,
                                    @ConfigProperty(name = "mesh.agent.role") String role,
                                    @ConfigProperty(name = "mesh.agent.instance") String instance,
                                    @ConfigProperty(name = "mesh.grants.agent-keys-dir") Optional<Path> keysDir,
                                    @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                                    @ConfigProperty(name = "mesh.sweep.tick") Duration tick,
                                    @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut,
                                    @Channel("cell-tasks-out") MutinyEmitter<byte[]> cellTasksOut,
                                    @Channel("sweep-control-out") MutinyEmitter<byte[]> sweepControlOut,
                                    @Channel("grants-out") MutinyEmitter<byte[]> grantsOut) {
        this.codecs = codecs;
        this.stage = stage;
        this.grants = grants;
        this.metrics = metrics;
        this.role = role;
        this.instance = instance;
        this.decider = new SweepDecider(role, instance, clock);
        this.agentKey = keysDir.filter(dir -> Files.isRegularFile(dir.resolve(role + ".key")))
                .map(dir -> GrantKeys.load(dir, role));
        this.runs = new ActiveRuns(bootstrapServers, codecs.runEvents(), Stages.SWEEP);
        this.tick = tick;
        this.runEventsOut = runEventsOut;
        this.cellTasksOut = cellTasksOut;
        this.sweepControlOut = sweepControlOut;
        this.grantsOut = grantsOut;
        if (agentKey.isEmpty()) {
            LOG.warn("no agent key (mesh.grants.agent-keys-dir): trainers will act under the sweep grant itself");
        }
    }

    void start(@Observes StartupEvent started) {
        ticker = ActiveRuns.ticker("sweep-ticker", tick, this::onTick);
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }

    @Incoming("run-events")
    @MeshHandler
    @Blocking
    public synchronized void onRunEvent(ConsumerRecord<byte[], byte[]> record) {
        RunEvent event = codecs.runEvents().decode(record.value());
        runs.fold(event).filter(RunState::triggered).ifPresent(this::act);
    }

    synchronized void onTick() {
        try {
            for (RunState state : runs.all()) {
                if (state.sweep() != null && state.sweep().plannedBy() != null && !state.sweep().finished()) {
                    act(state);
                }
            }
        } catch (RuntimeException e) {
            LOG.error("sweep tick failed; retrying on the next tick", e);
        }
    }


    private void act(RunState state) {
        String runId = state.runId();
        Authority authority = authority(state);
        if (SweepDecider.readyToPlan(state)) {
            state = send(state, plan(state, authority));
        }
        state = send(state, decider.next(state, authority, clock.instant()));
        StageState sweepStage = state.stages().get(Stages.SWEEP);
        if ((state.sweep() != null && state.sweep().finished())
                || (sweepStage != null && sweepStage.status() == StageState.Status.FAILED)) {
            LOG.infof("run %s: sweep %s", runId, state.sweep() != null && state.sweep().finished()
                    ? state.sweep().outcome().outcome() + " - " + state.sweep().outcome().reason() : sweepStage.reason());
            runs.settle(runId);
        } else {
            runs.put(state);
        }
    }

    private Outputs plan(RunState state, Authority authority) {
        if (!authority.decision().allowed()) {
            return decider.planFailed(state, authority, "unauthorised: " + authority.decision().reason());
        }
        SweepGrid grid;
        try {
            grid = SweepGrid.load(SweepDecider.gridName(state));
        } catch (RuntimeException e) {
            return decider.planFailed(state, authority, e.getMessage());
        }
        return decider.plan(state, grid, authority, delegateToTrainers(state, authority));
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
    private String delegateToTrainers(RunState state, Authority authority) {
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
        stage.send(grantsOut, child.getGrantId(), codecs.grants().encode(event));
        return child.getGrantId();
    }

    private RunState send(RunState state, Outputs outputs) {
        for (RunEvent e : outputs.runEvents()) {
            stage.send(runEventsOut, e);
            state = RunStateReducer.apply(state, e);
        }
        for (CellTask task : outputs.tasks()) {
            stage.send(cellTasksOut, task.getConfig().getCellId() + "#" + task.getEnvelope().getAttempt(),
                    codecs.cellTasks().encode(task));
            metrics.counter("mesh.sweep.cells.dispatched").increment();
        }
        for (SweepControl control : outputs.controls()) {
            stage.send(sweepControlOut, state.runId(), codecs.sweepControl().encode(control));
        }
        return state;
    }

}
