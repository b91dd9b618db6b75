package dev.agentmesh.runstate;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.gate.AssessmentRequested;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.DebateArgued;
import dev.agentmesh.gate.DebateJudged;
import dev.agentmesh.gate.DebateOpened;
import dev.agentmesh.gate.DelegationRefused;
import dev.agentmesh.gate.GateDecided;
import dev.agentmesh.gate.ModelDeployed;
import dev.agentmesh.gate.PrincipalDecided;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Folds gate events into {@link GateState}, order-independently within a gate attempt: of two versions of one fact
 * (a re-sent request, a second assessment from the same specialist) the lowest event id wins. A later attempt's first
 * request starts a fresh trail (see {@link GateState}).
 */
final class GateReducer {

    private GateReducer() {
    }

    static boolean handles(Object payload) {
        return payload instanceof AssessmentRequested || payload instanceof AssessmentReturned
                || payload instanceof DelegationRefused || payload instanceof GateDecided
                || payload instanceof PrincipalDecided || payload instanceof ModelDeployed
                || payload instanceof DebateOpened || payload instanceof DebateArgued || payload instanceof DebateJudged;
    }

    static GateState empty() {
        return new GateState(null, null, 0, sorted(Map.of()), sorted(Map.of()), sorted(Map.of()), null, sorted(Map.of()),
                List.of(), null, 0, List.of(), null);
    }

    static GateState apply(GateState gate, Envelope envelope, Object payload) {
        if (gate == null) {
            gate = empty();
        }
        if (payload instanceof AssessmentRequested && envelope.getAttempt() < gate.attempt()) {
            return gate; // a request of an earlier gate attempt, logged late
        }
        if (payload instanceof AssessmentRequested && envelope.getAttempt() > gate.attempt() && !gate.requested().isEmpty()) {
            gate = restarted(gate);
        }
        if (!(payload instanceof AssessmentRequested) && !(payload instanceof PrincipalDecided)
                && envelope.getCausationId() != null && gate.retired().contains(envelope.getCausationId())) {
            return gate; // answers a request, or follows a decision, of an earlier gate attempt
        }
        String id = envelope.getEventId();
        GateState.Candidate candidate = gate.candidate();
        var deadline = gate.deadline();
        int depth = gate.requestDepth();
        TreeMap<String, String> requested = new TreeMap<>(gate.requested());
        TreeMap<String, GateState.Assessment> assessments = new TreeMap<>(gate.assessments());
        TreeMap<String, GateState.Refusal> refusals = new TreeMap<>(gate.refusals());
        GateState.Decision decision = gate.decision();
        TreeMap<String, GateState.PrincipalVote> principal = new TreeMap<>(gate.principalDecisions());
        List<String> actedOn = gate.actedOn();
        GateState.Deployment deployment = gate.deployment();
        int attempt = gate.attempt();
        GateState.Debate debate = gate.debate();

        if (payload instanceof AssessmentRequested r) {
            String known = requested.get(r.getSpecialist());
            if (known == null || id.compareTo(known) < 0) {
                requested.put(r.getSpecialist(), id);
                var c = r.getCandidate();
                candidate = new GateState.Candidate(c.getCellId(), c.getCheckpoint(), c.getCheckpointChecksum(),
                        c.getValidationLoss(), c.getInferenceLatencyMicros(), c.getContract(), c.getDatasetLocation());
                deadline = deadline == null || r.getDeadline().isBefore(deadline) ? r.getDeadline() : deadline;
                depth = envelope.getDelegationDepth();
            }
            attempt = Math.max(attempt, envelope.getAttempt());
        } else if (payload instanceof AssessmentReturned a) {
            GateState.Assessment known = assessments.get(a.getSpecialist());
            if (known == null || id.compareTo(known.eventId()) < 0) {
                assessments.put(a.getSpecialist(), new GateState.Assessment(a.getSpecialist(), a.getVerdict().name(),
                        a.getSummary(), sorted(a.getMetrics()), sorted(a.getEvidence()), envelope.getAgentInstance(),
                        envelope.getOccurredAt(), id));
            }
        } else if (payload instanceof DelegationRefused d) {
            refusals.put(id, new GateState.Refusal(d.getAgentRole(), d.getDelegationDepth(), d.getMaxDepth(),
                    d.getReason(), d.getRefusedEventId()));
        } else if (payload instanceof GateDecided d) {
            if (decision == null || id.compareTo(decision.eventId()) < 0) {
                decision = new GateState.Decision(d.getDisposition().name(), d.getReason(), List.copyOf(d.getConflicts()),
                        List.copyOf(d.getMissing()), d.getRule(), envelope.getAgentInstance(), envelope.getOccurredAt(), id);
            }
        } else if (payload instanceof PrincipalDecided p) {
            principal.put(id, new GateState.PrincipalVote(p.getDecision().name(), p.getDecidedBy(), p.getReason(),
                    envelope.getGrantId(), envelope.getOccurredAt()));
        } else if (payload instanceof ModelDeployed m) {
            if (deployment == null || id.compareTo(deployment.eventId()) < 0) {
                deployment = new GateState.Deployment(m.getAlias(), m.getContract(), m.getCheckpoint(),
                        m.getCheckpointChecksum(), m.getPreviousCheckpoint(), m.getDecidedBy(), m.getDisposition(),
                        envelope.getOccurredAt(), id);
            }
            actedOn = withCause(actedOn, envelope);
        } else if (payload instanceof DebateOpened o) {
            if (debate == null || debate.openedEventId() == null || id.compareTo(debate.openedEventId()) < 0) {
                debate = new GateState.Debate(id, o.getDeadline(), debate == null ? sorted(Map.of()) : debate.arguments(),
                        debate == null ? null : debate.ruling());
            }
        } else if (payload instanceof DebateArgued a) {
            TreeMap<String, GateState.Argument> arguments = new TreeMap<>(debate == null ? Map.of() : debate.arguments());
            GateState.Argument argument = new GateState.Argument(a.getSide().name(), a.getRound(), a.getArgument(),
                    sorted(a.getEvidence()), a.getAdvocate(), id);
            GateState.Argument known = arguments.get(argument.key());
            if (known == null || id.compareTo(known.eventId()) < 0) {
                arguments.put(argument.key(), argument);
            }
            debate = new GateState.Debate(debate == null ? null : debate.openedEventId(), debate == null ? null : debate.deadline(),
                    sorted(arguments), debate == null ? null : debate.ruling());
        } else if (payload instanceof DebateJudged j) {
            GateState.Ruling known = debate == null ? null : debate.ruling();
            if (known == null || id.compareTo(known.eventId()) < 0) {
                debate = new GateState.Debate(debate == null ? null : debate.openedEventId(), debate == null ? null : debate.deadline(),
                        debate == null ? sorted(Map.of()) : debate.arguments(), new GateState.Ruling(
                        j.getRuling().name(), j.getReason(), sorted(j.getDecidingEvidence()), j.getBinding(), j.getRounds(),
                        j.getJudge(), id));
            }
        }
        return new GateState(candidate, deadline, depth, sorted(requested), sorted(assessments), sorted(refusals), decision,
                sorted(principal), actedOn, deployment, attempt, gate.retired(), debate);
    }

    /** A fresh trail for the next gate attempt; the earlier attempt's requests and decisions are retired. */
    private static GateState restarted(GateState gate) {
        List<String> retired = new ArrayList<>(gate.retired());
        retired.addAll(gate.requested().values());
        if (gate.decision() != null) {
            retired.add(gate.decision().eventId());
        }
        retired.addAll(gate.principalDecisions().keySet());
        Collections.sort(retired);
        GateState empty = empty();
        return new GateState(null, null, 0, empty.requested(), empty.assessments(), empty.refusals(), null,
                empty.principalDecisions(), List.of(), null, gate.attempt(), List.copyOf(retired), null);
    }

    /** The coordinator finished the gate (deployed or rejected) in response to {@code envelope}'s cause. */
    static GateState actedOn(GateState gate, Envelope envelope) {
        gate = gate == null ? empty() : gate;
        if (envelope.getCausationId() != null && gate.retired().contains(envelope.getCausationId())) {
            return gate;
        }
        return new GateState(gate.candidate(), gate.deadline(), gate.requestDepth(), gate.requested(), gate.assessments(),
                gate.refusals(), gate.decision(), gate.principalDecisions(), withCause(gate.actedOn(), envelope),
                gate.deployment(), gate.attempt(), gate.retired(), gate.debate());
    }

    private static List<String> withCause(List<String> actedOn, Envelope envelope) {
        String cause = envelope.getCausationId();
        if (cause == null || actedOn.contains(cause)) {
            return actedOn;
        }
        List<String> out = new ArrayList<>(actedOn);
        out.add(cause);
        Collections.sort(out);
        return List.copyOf(out);
    }

    private static <V> SortedMap<String, V> sorted(Map<String, V> map) {
        return Collections.unmodifiableSortedMap(new TreeMap<>(map));
    }
}
