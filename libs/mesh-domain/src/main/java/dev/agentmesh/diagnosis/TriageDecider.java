package dev.agentmesh.diagnosis;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.gate.DelegationRefused;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.runstate.TriageState;
import dev.agentmesh.team.ModelCallEvents;
import dev.agentmesh.triage.InvestigationRequested;
import dev.agentmesh.triage.RunDiagnosed;
import dev.agentmesh.triage.TriageOpened;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The triage supervisor's decisions, as a function of the run's folded state, the policy, the grant's answer and the
 * time. A failed or stalled run (or a person's request) opens a triage: its failure classes are named by
 * {@link TriageClassifier}, each class routed to its investigator, one investigation each (at most the policy's
 * steps), one delegation level below the supervisor. When every investigator answered, or the deadline passed, the
 * {@link Synthesis} merges the findings; an investigator that did not answer is reported missing. Event ids derive
 * from their causes, so a restarted supervisor sends the same ids again.
 */
public final class TriageDecider {

    public static final String ROLE = "triage";
    /** Trigger parameter: the grant a failed run is triaged under (it must allow {@code read} on the run). */
    public static final String PARAM_GRANT = "triage.grant";

    private final Envelopes envelopes;

    public TriageDecider(Envelopes envelopes) {
        this.envelopes = envelopes;
    }

    /** What opens a triage: a failure, a stall flag, or a person's request, with the grant and depth it acts at. */
    public record Cause(String eventId, String grantId, int depth, int attempt, boolean requested) {
    }

    /** The grant's answer for the supervisor acting at {@code depth} and delegating one level below it. */
    public record Authority(Decision decision, int maxDepth) {
    }

    /** The failure or stall the run's triage would be about, if it has one that no triage has looked at yet. */
    public static Optional<Cause> automatic(RunState state) {
        String grant = state.parameters().get(PARAM_GRANT);
        if (grant == null) {
            return Optional.empty();
        }
        Optional<String> cause = Optional.empty();
        if (state.status() == RunStatus.FAILED || state.status() == RunStatus.REVOKED) {
            cause = state.stages().values().stream().filter(s -> s.status() == StageState.Status.FAILED)
                    .map(StageState::decidingEventId).min(Comparator.naturalOrder());
        } else if (state.status() == RunStatus.STALLED && state.stall() != null) {
            cause = Optional.of(state.stall().eventId());
        }
        TriageState triage = state.triage();
        return cause.filter(id -> triage == null || !triage.opened().containsKey(id))
                .map(id -> new Cause(id, grant, 0, attemptOf(state), false));
    }

    /** A person's pending request. */
    public static Optional<Cause> requested(RunState state) {
        if (state.triage() == null) {
            return Optional.empty();
        }
        return state.triage().pendingRequests().stream().findFirst()
                .map(r -> new Cause(r.eventId(), r.grantId(), r.depth(), attemptOf(state), true));
    }

    private static int attemptOf(RunState state) {
        return state.stages().values().stream().mapToInt(StageState::attempt).max().orElse(1);
    }

    /** Opens the triage of {@code cause} with the rules' classes, or refuses it. */
    public List<RunEvent> open(RunState state, Cause cause, Authority authority, TriagePolicy policy, Instant now) {
        return open(state, cause, authority, policy, now, TriageJudgment.Classification.byRules(state));
    }

    /**
     * Opens the triage of {@code cause} with {@code classified}'s classes (its model calls recorded first, under the
     * triage's grant), or refuses it (past the grant's depth, or not allowed at all).
     */
    public List<RunEvent> open(RunState state, Cause cause, Authority authority, TriagePolicy policy, Instant now,
                               TriageJudgment.Classification classified) {
        int own = cause.depth() + 1;
        Envelope envelope = envelopes.envelope(envelopes.derivedId(cause.eventId(), "triage"), state.runId(),
                cause.eventId(), cause.grantId(), own, cause.attempt(), 0, null);
        if (!authority.decision().allowed()) {
            return List.of(new RunEvent(envelopes.envelope(envelopes.derivedId(cause.eventId(), "refused"), state.runId(),
                    cause.eventId(), cause.grantId(), cause.depth(), cause.attempt(), 0, null),
                    new DelegationRefused(ROLE, cause.eventId(), own, authority.maxDepth(),
                            "triage refused: " + authority.decision().reason())));
        }
        List<FailureClass> classes = classified.classes();
        List<RunEvent> out = new ArrayList<>();
        classified.calls().forEach(call -> out.add(ModelCallEvents.of(envelopes, envelope, call)));
        Set<String> routed = new LinkedHashSet<>();
        classes.forEach(c -> routed.add(c.investigator()));
        List<String> investigators = routed.stream().limit(policy.maxSteps()).toList();
        Instant deadline = now.plus(policy.timeout());
        out.add(new RunEvent(envelope, new TriageOpened(cause.eventId(), classes.stream().map(Enum::name).toList(),
                investigators, policy.maxSteps(), deadline, classified.classifiedBy())));
        for (String investigator : investigators) {
            FailureClass first = classes.stream().filter(c -> c.investigator().equals(investigator)).findFirst().orElseThrow();
            Envelope delegated = envelopes.envelope(envelopes.derivedId(cause.eventId(), "investigate:" + investigator),
                    state.runId(), envelope.getEventId(), cause.grantId(), own + 1, cause.attempt(), 0, null);
            Instant since = state.triggeredAt() == null ? Instant.EPOCH : state.triggeredAt();
            out.add(new RunEvent(delegated, new InvestigationRequested(cause.eventId(), investigator, first.name(), since,
                    deadline)));
        }
        return out;
    }

    /** The synthesis of the current triage once every investigator answered or its deadline passed; else nothing. */
    public List<RunEvent> next(RunState state, Instant now) {
        TriageState triage = state.triage();
        if (triage == null || triage.current().isEmpty() || triage.currentDiagnosis().isPresent()) {
            return List.of();
        }
        TriageState.Opened opened = triage.current().get();
        List<TriageState.Finding> findings = triage.currentFindings();
        boolean allAnswered = opened.investigators().stream()
                .allMatch(i -> findings.stream().anyMatch(f -> f.investigator().equals(i)));
        if (!allAnswered && now.isBefore(opened.deadline())) {
            return List.of();
        }
        RunDiagnosed diagnosed = Synthesis.diagnose(state, opened, findings);
        Envelope envelope = envelopes.envelope(envelopes.derivedId(opened.triageId(), "diagnosed"), state.runId(),
                opened.eventId(), opened.grantId(), opened.depth(), 1, 0, null);
        return List.of(new RunEvent(envelope, diagnosed));
    }
}
