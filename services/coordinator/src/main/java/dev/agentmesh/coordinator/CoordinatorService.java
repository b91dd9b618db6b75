package dev.agentmesh.coordinator;

import dev.agentmesh.gate.GateDecided;
import dev.agentmesh.service.ArtifactStores;
import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.Stages;
import dev.agentmesh.gate.PrincipalDecided;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Decision;
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
import dev.agentmesh.service.Outbox;
import dev.agentmesh.service.RunWorker;
import dev.agentmesh.service.StageSupport.UnauthorisedActionException;
import dev.agentmesh.topics.Topic;
import dev.agentmesh.topics.Topics;
import dev.agentmesh.team.GateDecider;
import dev.agentmesh.team.GatePolicy;
import dev.agentmesh.training.ModelRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Thin shell around {@link GateDecider}, run by the {@link TopologyProducer}: folds each run's
 * events with the run-state reducer, opens the gate when the sweep completes, decides when every specialist answered
 * or the deadline passed (ticks keep time without new events), moves the production alias when it ships, and acts on the principal's decision on a
 * returned run, which it accepts only under a live root grant held by the principal that allows {@code decide}.
 */
@ApplicationScoped
public class CoordinatorService implements RunWorker {

    private static final Logger LOG = Logger.getLogger(CoordinatorService.class);

    private final MeshCodecs codecs;
    private final GrantGate grants;
    private final MeterRegistry metrics;
    private final GateDecider decider;
    private final ModelRegistry registry;
    private final Clock clock = Clock.systemUTC();

    public CoordinatorService(MeshCodecs codecs, GrantGate grants, MeterRegistry metrics,
                              @ConfigProperty(name = "mesh.agent.role") String role,
                              @ConfigProperty(name = "mesh.agent.instance") String instance,
                              @ConfigProperty(name = "mesh.artifacts.dir") Path artifacts,
                              ArtifactStores stores) {
        this.codecs = codecs;
        this.grants = grants;
        this.metrics = metrics;
        this.decider = new GateDecider(new Envelopes(role, instance, clock));
        this.registry = new ModelRegistry(artifacts, stores.store());
    }

    @Override
    public String stage() {
        return Stages.GATE;
    }

    @Override
    public List<Topic<?, ?>> outputs() {
        return List.of(Topics.RUN_EVENTS);
    }

    @Override
    @MeshHandler
    public void handle(LoggedRecord record, ActiveRuns runs, Outbox out) {
        RunEvent event = codecs.runEvents().decode(record.value());
        String runId = event.getEnvelope().getRunId();
        if (runs.settled(runId) && event.getPayload() instanceof PrincipalDecided) {
            LOG.infof("run %s: principal decision %s ignored, the gate is closed", runId, event.getEnvelope().getEventId());
        }
        RunState state = runs.fold(event).orElse(null);
        if (state == null || !state.triggered()) {
            return;
        }
        if (event.getPayload() instanceof PrincipalDecided decided) {
            Decision authority = principalAuthority(event);
            if (!authority.allowed()) {
                metrics.counter("mesh.gate.principal-decisions", "outcome", "refused").increment();
                throw new UnauthorisedActionException("principal decision " + event.getEnvelope().getEventId()
                        + " on run " + runId + " by " + decided.getDecidedBy() + " refused: " + authority.reason());
            }
            metrics.counter("mesh.gate.principal-decisions", "outcome", decided.getDecision().name()).increment();
            state = apply(state, decider.principalDecided(state, policy(state), event.getEnvelope().getEventId()), out);
        }
        act(state, runs, out);
    }

    @Override
    public void tick(ActiveRuns runs, Outbox out) {
        grants.batch(() -> {
            for (RunState state : runs.all()) {
                if (state.gate() != null && !state.gate().requested().isEmpty() && state.gate().decision() == null) {
                    act(state, runs, out);
                }
            }
        });
    }

    private void act(RunState state, ActiveRuns runs, Outbox out) {
        GatePolicy policy;
        try {
            policy = policy(state);
        } catch (RuntimeException e) {
            policy = null;
            if (GateDecider.readyToOpen(state)) {
                state = apply(state, decider.open(state, GatePolicy.load(GatePolicy.DEFAULT), new GateDecider.Authority(
                        grantOf(state), 0, Decision.refused("invalid gate policy: " + e.getMessage())), clock.instant()), out);
            }
        }
        if (policy != null) {
            if (GateDecider.readyToOpen(state)) {
                state = apply(state, decider.open(state, policy, authority(state), clock.instant()), out);
            }
            state = apply(state, decider.next(state, policy, clock.instant()), out);
        }
        StageState gate = state.stages().get(Stages.GATE);
        if (gate != null && gate.status().terminal()) {
            LOG.infof("run %s: gate %s%s", state.runId(), gate.status(), gate.reason() == null ? "" : " - " + gate.reason());
            runs.settle(state);
        } else {
            runs.put(state);
        }
    }

    private RunState apply(RunState state, GateDecider.Outputs outputs, Outbox out) {
        state = send(state, outputs.runEvents(), out);
        if (outputs.deploy().isPresent()) {
            GateDecider.Deploy deploy = outputs.deploy().get();
            ModelRegistry.AliasTarget moved = registry.promote(deploy.contract(), deploy.alias(), deploy.candidate().checkpoint(),
                    deploy.candidate().checksum(), state.runId(), deploy.candidate().datasetLocation(), clock.instant());
            state = send(state, decider.deployed(state, deploy, moved.previousCheckpoint()), out);
            metrics.counter("mesh.gate.deployments").increment();
            LOG.infof("run %s: %s of %s now %s (was %s), decided by %s", state.runId(), deploy.alias(), deploy.contract(),
                    moved.checkpoint(), moved.previousCheckpoint(), deploy.decidedBy());
        }
        return state;
    }

    private RunState send(RunState state, List<RunEvent> events, Outbox out) {
        for (RunEvent e : events) {
            out.send(e);
            state = RunStateReducer.apply(state, e);
            if (e.getPayload() instanceof GateDecided d) {
                metrics.counter("mesh.gate.decisions", "disposition", d.getDisposition().name()).increment();
                LOG.infof("run %s: %s - %s", state.runId(), d.getDisposition(), d.getReason());
            }
        }
        return state;
    }

    private GatePolicy policy(RunState state) {
        GatePolicy policy = GatePolicy.load(GateDecider.policyName(state));
        String timeout = state.parameters().get(GateDecider.PARAM_TIMEOUT);
        return timeout == null ? policy : policy.withTimeout(Duration.parse(timeout));
    }

    private static String grantOf(RunState state) {
        return state.parameters().get(GateDecider.PARAM_GRANT);
    }

    /** The run's {@code gate.grant} must allow deploying it; the coordinator acts at that grant's own depth. */
    private GateDecider.Authority authority(RunState state) {
        String grantId = grantOf(state);
        if (grantId == null) {
            return new GateDecider.Authority(null, 0, Decision.refused("the run names no gate grant (trigger parameter "
                    + GateDecider.PARAM_GRANT + ")"));
        }
        GrantGate.Assessment assessed = grants.assess(new ActionRequest(grantId, Actions.DEPLOY,
                Resources.run(state.runId()), 0, 0, clock.instant()));
        return new GateDecider.Authority(grantId, assessed.entry().map(GrantLedger.Entry::depth).orElse(0), assessed.decision());
    }

    /** Only the principal decides a returned run: a live root grant to the principal allowing {@code decide} on it. */
    private Decision principalAuthority(RunEvent event) {
        var envelope = event.getEnvelope();
        GrantGate.Assessment assessed = grants.assess(new ActionRequest(envelope.getGrantId(), Actions.DECIDE,
                Resources.run(envelope.getRunId()), 0, 0, clock.instant()));
        if (!assessed.decision().allowed()) {
            return assessed.decision();
        }
        GrantLedger.Entry entry = assessed.entry().orElseThrow();
        if (entry.depth() != 0 || !Grants.PRINCIPAL.equals(entry.grant().getGrantee())) {
            return Decision.refused("grant " + envelope.getGrantId() + " is held by " + entry.grant().getGrantee()
                    + " at depth " + entry.depth() + "; only the principal's own root grant decides a returned run");
        }
        return Decision.ALLOWED;
    }


}
