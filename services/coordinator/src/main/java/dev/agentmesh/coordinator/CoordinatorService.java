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
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.service.ActiveRuns;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.StageSupport;
import dev.agentmesh.team.GateDecider;
import dev.agentmesh.team.GatePolicy;
import dev.agentmesh.training.ModelRegistry;
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

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Thin Kafka shell around {@link GateDecider}: folds each run's events with the run-state reducer, opens the gate
 * when the sweep completes, decides when every specialist answered or the deadline passed (a ticker keeps time
 * without new events), moves the production alias when it ships, and acts on the principal's decision on a
 * returned run, which it accepts only under a live root grant held by the principal that allows {@code decide}.
 */
@ApplicationScoped
public class CoordinatorService {

    private static final Logger LOG = Logger.getLogger(CoordinatorService.class);

    private final MeshCodecs codecs;
    private final StageSupport stage;
    private final GrantGate grants;
    private final MeterRegistry metrics;
    private final GateDecider decider;
    private final ModelRegistry registry;
    private final Duration tick;
    private final MutinyEmitter<byte[]> runEventsOut;
    private final Clock clock = Clock.systemUTC();

    private final ActiveRuns runs;
    private ScheduledExecutorService ticker;

    public CoordinatorService(MeshCodecs codecs, StageSupport stage, GrantGate grants, MeterRegistry metrics,
                              @ConfigProperty(name = "mesh.agent.role") String role,
                              @ConfigProperty(name = "mesh.agent.instance") String instance,
                              @ConfigProperty(name = "mesh.artifacts.dir") Path artifacts,
                               ArtifactStores stores,
                              @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                              @ConfigProperty(name = "mesh.gate.tick") Duration tick,
                              @Channel("run-events-out") MutinyEmitter<byte[]> runEventsOut) {
        this.codecs = codecs;
        this.stage = stage;
        this.grants = grants;
        this.metrics = metrics;
        this.decider = new GateDecider(new Envelopes(role, instance, clock));
        this.registry = new ModelRegistry(artifacts, stores.store());
        this.runs = new ActiveRuns(bootstrapServers, codecs.runEvents(), Stages.GATE);
        this.tick = tick;
        this.runEventsOut = runEventsOut;
    }

    void start(@Observes StartupEvent started) {
        ticker = ActiveRuns.ticker("gate-ticker", tick, this::onTick);
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
                throw new StageSupport.UnauthorisedActionException("principal decision " + event.getEnvelope().getEventId()
                        + " on run " + runId + " by " + decided.getDecidedBy() + " refused: " + authority.reason());
            }
            metrics.counter("mesh.gate.principal-decisions", "outcome", decided.getDecision().name()).increment();
            state = apply(state, decider.principalDecided(state, policy(state), event.getEnvelope().getEventId()));
        }
        act(state);
    }

    synchronized void onTick() {
        try {
            for (RunState state : runs.all()) {
                if (state.gate() != null && !state.gate().requested().isEmpty() && state.gate().decision() == null) {
                    act(state);
                }
            }
        } catch (RuntimeException e) {
            LOG.error("gate tick failed; retrying on the next tick", e);
        }
    }

    private void act(RunState state) {
        GatePolicy policy;
        try {
            policy = policy(state);
        } catch (RuntimeException e) {
            policy = null;
            if (GateDecider.readyToOpen(state)) {
                state = apply(state, decider.open(state, GatePolicy.load(GatePolicy.DEFAULT), new GateDecider.Authority(
                        grantOf(state), 0, Decision.refused("invalid gate policy: " + e.getMessage())), clock.instant()));
            }
        }
        if (policy != null) {
            if (GateDecider.readyToOpen(state)) {
                state = apply(state, decider.open(state, policy, authority(state), clock.instant()));
            }
            state = apply(state, decider.next(state, policy, clock.instant()));
        }
        StageState gate = state.stages().get(Stages.GATE);
        if (gate != null && gate.status().terminal()) {
            LOG.infof("run %s: gate %s%s", state.runId(), gate.status(), gate.reason() == null ? "" : " - " + gate.reason());
            runs.settle(state.runId());
        } else {
            runs.put(state);
        }
    }

    private RunState apply(RunState state, GateDecider.Outputs outputs) {
        state = send(state, outputs.runEvents());
        if (outputs.deploy().isPresent()) {
            GateDecider.Deploy deploy = outputs.deploy().get();
            ModelRegistry.AliasTarget moved = registry.promote(deploy.contract(), deploy.alias(), deploy.candidate().checkpoint(),
                    deploy.candidate().checksum(), state.runId(), deploy.candidate().datasetLocation(), clock.instant());
            state = send(state, decider.deployed(state, deploy, moved.previousCheckpoint()));
            metrics.counter("mesh.gate.deployments").increment();
            LOG.infof("run %s: %s of %s now %s (was %s), decided by %s", state.runId(), deploy.alias(), deploy.contract(),
                    moved.checkpoint(), moved.previousCheckpoint(), deploy.decidedBy());
        }
        return state;
    }

    private RunState send(RunState state, List<RunEvent> events) {
        for (RunEvent e : events) {
            stage.send(runEventsOut, e);
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
