package dev.agentmesh.triage.service;

import dev.agentmesh.contract.RowValidationAgent;
import dev.agentmesh.contract.SourcePolicy;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.diagnosis.FailureClass;
import dev.agentmesh.diagnosis.Investigations;
import dev.agentmesh.gate.DelegationRefused;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.kafka.RunLog;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateReducer;
import dev.agentmesh.service.GrantGate;
import dev.agentmesh.service.MeshCodecs;
import dev.agentmesh.service.MeshHandler;
import dev.agentmesh.service.StageSupport;
import dev.agentmesh.triage.InvestigationRequested;
import dev.agentmesh.triage.InvestigationReturned;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The investigators this process runs ({@code mesh.triage.investigators}): each answers the investigations addressed
 * to it, once each (the answer's id derives from the request's), under the request's delegated grant, which must
 * allow {@code read} on the run at the request's depth. It reads the run's events from the log, folds them with
 * run-state's reducer, and returns a typed finding ({@link Investigations}). A request past its grant's depth is
 * refused with a {@link DelegationRefused} event and dead-lettered.
 */
@ApplicationScoped
public class InvestigatorService {

    private static final Logger LOG = Logger.getLogger(InvestigatorService.class);

    private final MeshCodecs codecs;
    private final StageSupport stage;
    private final GrantGate grants;
    private final MeterRegistry metrics;
    private final Set<String> investigators;
    private final String bootstrapServers;
    private final int hardMaxDepth;
    private final MutinyEmitter<byte[]> out;
    private final Map<String, Envelopes> envelopes = new HashMap<>();
    private final RowValidationAgent sources;
    private final Clock clock = Clock.systemUTC();

    public InvestigatorService(MeshCodecs codecs, StageSupport stage, GrantGate grants, MeterRegistry metrics,
                               @ConfigProperty(name = "mesh.agent.instance") String instance,
                               @ConfigProperty(name = "mesh.triage.investigators") List<String> investigators,
                               @ConfigProperty(name = "mesh.sources.allowed-dirs") List<Path> allowedSourceDirs,
                               @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                               @ConfigProperty(name = "mesh.delegation.max-depth", defaultValue = "4") int hardMaxDepth,
                               @Channel("findings") MutinyEmitter<byte[]> out) {
        this.codecs = codecs;
        this.stage = stage;
        this.grants = grants;
        this.metrics = metrics;
        this.investigators = Set.copyOf(investigators);
        this.bootstrapServers = bootstrapServers;
        this.hardMaxDepth = hardMaxDepth;
        this.out = out;
        for (String role : this.investigators) {
            envelopes.put(role, new Envelopes(role, instance, clock));
        }
        this.sources = new RowValidationAgent(new Envelopes(FailureClass.Investigators.DATA, instance, clock),
                SourcePolicy.within(allowedSourceDirs));
        LOG.infof("investigators here: %s", this.investigators);
    }

    @Incoming("investigations")
    @MeshHandler
    @Blocking
    public void onRunEvent(ConsumerRecord<byte[], byte[]> record) {
        RunEvent event = codecs.runEvents().decode(record.value());
        if (!(event.getPayload() instanceof InvestigationRequested request) || !investigators.contains(request.getInvestigator())) {
            return;
        }
        var envelope = event.getEnvelope();
        String role = request.getInvestigator();
        Envelopes mine = envelopes.get(role);
        int depth = envelope.getDelegationDepth();
        GrantGate.Assessment assessed = grants.assess(new ActionRequest(envelope.getGrantId(), Actions.READ,
                Resources.run(envelope.getRunId()), depth, 0, clock.instant()));
        Decision decision = depth > hardMaxDepth ? Decision.refused(Decision.Refusal.OVER_DEPTH, "delegation depth "
                + depth + " exceeds the mesh's hard maximum " + hardMaxDepth) : assessed.decision();
        if (!decision.allowed()) {
            if (decision.refusedAs(Decision.Refusal.OVER_DEPTH)) {
                stage.send(out, new RunEvent(mine.causedBy(envelope, "refused", 0), new DelegationRefused(role,
                        envelope.getEventId(), depth, assessed.entry().map(e -> e.grant().getMaxDepth()).orElse(hardMaxDepth),
                        decision.reason())));
            }
            throw new StageSupport.UnauthorisedActionException("investigation of run " + envelope.getRunId() + " by "
                    + role + " refused: " + decision.reason());
        }
        long t0 = System.nanoTime();
        List<RunEvent> history = RunLog.read(bootstrapServers, codecs.runEvents(), envelope.getRunId(), request.getSince(),
                Duration.ofSeconds(30));
        RunState state = null;
        RunEvent trigger = null;
        for (RunEvent e : history) {
            state = RunStateReducer.apply(state, e);
            if (trigger == null && e.getPayload() instanceof RunTriggered) {
                trigger = e;
            }
        }
        if (state == null) {
            throw new IllegalStateException("run " + envelope.getRunId() + " has no events in the log");
        }
        Investigations.Found found = switch (role) {
            case FailureClass.Investigators.DATA -> Investigations.data(state, trigger, sources);
            case FailureClass.Investigators.TRAINING -> Investigations.training(state);
            case FailureClass.Investigators.ACCESS -> Investigations.access(state);
            case FailureClass.Investigators.INFRA -> Investigations.infrastructure(state, clock.instant());
            default -> throw new IllegalArgumentException("no investigator " + role);
        };
        long ms = (System.nanoTime() - t0) / 1_000_000;
        stage.send(out, new RunEvent(mine.causedBy(envelope, "finding", ms), new InvestigationReturned(request.getTriageId(),
                role, request.getFailureClass(), found.summary(), found.finding())));
        metrics.counter("mesh.triage.investigations", "investigator", role).increment();
        LOG.infof("run %s: %s found in %d ms: %s", envelope.getRunId(), role, ms, found.summary());
    }
}
