package dev.agentmesh.service;

import dev.agentmesh.common.Envelope;
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
import dev.agentmesh.judgment.Judged;
import dev.agentmesh.judgment.Judgment;
import dev.agentmesh.core.Excerpt;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.team.ModelCallEvents;
import dev.agentmesh.team.SpecialistJudgment;
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
    private final Judgments judgments;
    private final ModelSpend spend;
    /** How much of a model's unusable answer a failure quotes. */
    static final int RAW_EXCERPT = 200;

    public SpecialistRunner(MeshCodecs codecs, StageSupport stage, GrantGate grants, MeterRegistry metrics, Judgments judgments,
                            ModelSpend spend,
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
        this.judgments = judgments;
        this.spend = spend;
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
        Judgment judgment = judgments.judgment(Judgments.ASSESSMENT);
        if (judgment != Judgment.rules()) {
            answer = judged(envelope, request.getCandidate(), answer, judgment, runEventsOut);
        }
        if (shadowVersion != null) {
            answer = ShadowMode.label(answer, shadowVersion);
        }
        stage.send(runEventsOut, 
                new RunEvent(envelopes.causedBy(envelope, "assessment", ms), answer));
        metrics.counter("mesh.gate.assessments", "verdict", answer.getVerdict().name()).increment();
        LOG.infof("run %s: %s %s - %s", runId, role, answer.getVerdict(), answer.getSummary());
    }

    /**
     * The role's rules computed {@code rules}; the model judges the same measurements. Every call is an event under
     * the request's grant, with its tokens and money in the envelope's cost. No usable answer: the request fails with
     * the reason and the last raw answer, and is dead-lettered for review; the gate sees no assessment from this role.
     */
    private AssessmentReturned judged(Envelope cause, Candidate candidate, AssessmentReturned rules, Judgment judgment,
                                      MutinyEmitter<byte[]> runEventsOut) {
        Judged judged = judgment.judge(SpecialistJudgment.question(role, candidate, rules), SpecialistJudgment.rulesAnswer(rules),
                grants.modelAllowance(cause.getGrantId()));
        for (ModelCalled call : judged.calls()) {
            RunEvent event = ModelCallEvents.of(envelopes, cause, call);
            stage.send(runEventsOut, event);
            spend.charge(event);
        }
        if (!judged.usable()) {
            String raw = judged.lastResponse();
            throw new UnusableJudgmentException(Excerpt.reason("assessment for run " + cause.getRunId() + " by "
                    + judgment.name() + ": " + judged.failure() + (raw == null ? "" : "; last answer: " + Excerpt.of(raw, RAW_EXCERPT))));
        }
        return SpecialistJudgment.assessed(role, rules, judged, judgment);
    }

    /** A model gave no answer that could be used: never a silent verdict. */
    public static final class UnusableJudgmentException extends RuntimeException {
        public UnusableJudgmentException(String message) {
            super(message);
        }
    }

    private void refuse(RunEvent event, int max, String reason, MutinyEmitter<byte[]> runEventsOut) {
        var envelope = event.getEnvelope();
        stage.send(runEventsOut, new RunEvent(envelopes.causedBy(envelope, "refused", 0), new DelegationRefused(role,
                envelope.getEventId(), envelope.getDelegationDepth(), max, reason)));
        metrics.counter("mesh.delegation.refused").increment();
        throw new StageSupport.UnauthorisedActionException("refused past the maximum delegation depth: " + reason);
    }

}
