package dev.agentmesh.service;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.gate.AssessmentRequested;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.Candidate;
import dev.agentmesh.gate.DelegationRefused;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.Resources;
import dev.agentmesh.run.RunEvent;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.function.Function;

/**
 * What every gate specialist shares: it answers the assessment requests addressed to its role, once each (the
 * answer's id is derived from the request's), under the request's grant. A request deeper than the hard maximum
 * delegation depth, or than its grant allows, is refused with a {@link DelegationRefused} error event and
 * dead-lettered; an assessment that cannot be computed is a BLOCK with the reason, never a silent approval.
 */
@ApplicationScoped
public class SpecialistRunner {

    private static final Logger LOG = Logger.getLogger(SpecialistRunner.class);

    private final MeshCodecs codecs;
    private final StageSupport stage;
    private final GrantGate grants;
    private final MeterRegistry metrics;
    private final Envelopes envelopes;
    private final String role;
    private final int maxDepth;
    /** The version label of a shadow deployment; null in production. */
    private final String shadowVersion;

    public SpecialistRunner(MeshCodecs codecs, StageSupport stage, GrantGate grants, MeterRegistry metrics,
                            @ConfigProperty(name = "mesh.agent.role") String role,
                            @ConfigProperty(name = "mesh.agent.instance") String instance,
                            @ConfigProperty(name = "mesh.delegation.max-depth", defaultValue = "4") int maxDepth,
                            @ConfigProperty(name = "mesh.agent.shadow", defaultValue = "false") boolean shadow,
                            @ConfigProperty(name = "mesh.agent.version", defaultValue = "current") String version,
                            @ConfigProperty(name = "mp.messaging.outgoing.run-events-out.topic") String outTopic,
                            @ConfigProperty(name = "mp.messaging.incoming.run-events.group.id") String group) {
        this.codecs = codecs;
        this.stage = stage;
        this.grants = grants;
        this.metrics = metrics;
        this.envelopes = new Envelopes(role, instance);
        this.role = role;
        this.maxDepth = maxDepth;
        this.shadowVersion = shadow ? version : null;
        if (shadow) {
            ShadowMode.check(role, outTopic, group);
            LOG.infof("%s runs in shadow mode as version %s: it answers on %s and acts on nothing", role, version, outTopic);
        }
    }

    public void handle(ConsumerRecord<byte[], byte[]> record, Function<Candidate, AssessmentReturned> assessor,
                       MutinyEmitter<byte[]> runEventsOut) {
        RunEvent event = codecs.runEvents().decode(record.value());
        if (!(event.getPayload() instanceof AssessmentRequested request) || !request.getSpecialist().equals(role)) {
            return;
        }
        var envelope = event.getEnvelope();
        String runId = envelope.getRunId();
        int depth = envelope.getDelegationDepth();
        if (depth > maxDepth) {
            refuse(event, maxDepth, "delegation depth " + depth + " exceeds the mesh's hard maximum " + maxDepth, runEventsOut);
        }
        GrantGate.Assessment assessed = grants.assess(new ActionRequest(envelope.getGrantId(), Actions.SPEND_COMPUTE,
                Resources.run(runId), depth, 0, envelope.getOccurredAt()));
        if (!assessed.decision().allowed()) {
            if (assessed.decision().refusedAs(Decision.Refusal.OVER_DEPTH)) {
                refuse(event, assessed.entry().map(e -> e.grant().getMaxDepth()).orElse(maxDepth),
                        assessed.decision().reason(), runEventsOut);
            }
            throw new StageSupport.UnauthorisedActionException("assessment for run " + runId + " refused: "
                    + assessed.decision().reason());
        }
        long t0 = System.nanoTime();
        AssessmentReturned answer;
        try {
            answer = assessor.apply(request.getCandidate());
        } catch (RuntimeException e) {
            LOG.errorf(e, "run %s: cannot assess", runId);
            answer = new AssessmentReturned(role, Verdict.BLOCK, "could not assess: " + e.getMessage(), Map.of(),
                    Map.of("error", String.valueOf(e)));
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (shadowVersion != null) {
            answer = ShadowMode.label(answer, shadowVersion);
        }
        stage.send(runEventsOut, 
                new RunEvent(envelopes.causedBy(envelope, "assessment", ms), answer));
        metrics.counter("mesh.gate.assessments", "verdict", answer.getVerdict().name()).increment();
        LOG.infof("run %s: %s %s - %s", runId, role, answer.getVerdict(), answer.getSummary());
    }

    private void refuse(RunEvent event, int max, String reason, MutinyEmitter<byte[]> runEventsOut) {
        var envelope = event.getEnvelope();
        stage.send(runEventsOut, new RunEvent(envelopes.causedBy(envelope, "refused", 0), new DelegationRefused(role,
                envelope.getEventId(), envelope.getDelegationDepth(), max, reason)));
        metrics.counter("mesh.delegation.refused").increment();
        throw new StageSupport.UnauthorisedActionException("refused past the maximum delegation depth: " + reason);
    }

}
