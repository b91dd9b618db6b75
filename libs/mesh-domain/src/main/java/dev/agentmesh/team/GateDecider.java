package dev.agentmesh.team;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.AuditKeys;
import dev.agentmesh.core.Handoffs;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.core.RunEvents;
import dev.agentmesh.core.Stages;
import dev.agentmesh.gate.AssessmentRequested;
import dev.agentmesh.gate.Candidate;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.DebateOpened;
import dev.agentmesh.gate.Ruling;
import dev.agentmesh.gate.Verdict;
import dev.agentmesh.gate.Disposition;
import dev.agentmesh.gate.GateDecided;
import dev.agentmesh.gate.ModelDeployed;
import dev.agentmesh.gate.PrincipalDecision;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.GateState;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.StageState;
import dev.agentmesh.runstate.SweepState;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The coordinator's decisions, as a function of the run's state (folded with run-state's own reducer), the gate
 * policy, the ledger's answer and the time. Event ids are derived from their causes, so a restarted coordinator
 * re-sends identical events and the fold absorbs them. Moving the alias is the shell's side effect: the decider
 * returns a {@link Deploy} intent and builds the events that report it.
 */
public final class GateDecider {

    public static final String PARAM_GRANT = "gate.grant";
    public static final String PARAM_POLICY = "gate.policy";
    public static final String PARAM_TIMEOUT = "gate.timeout";
    public static final String DISPOSITION = "gate.disposition";
    public static final String DECIDED_BY = "gate.decided-by";
    public static final String DEPLOYED_CHECKPOINT = "deployed.checkpoint";

    /** The grant the coordinator acts under, its depth in the ledger, and whether it allows deploying this run. */
    public record Authority(String grantId, int depth, Decision decision) {
    }

    /** Move {@code alias} of {@code contract} to the candidate, then report it with {@link #deployed}. */
    public record Deploy(String contract, String alias, GateState.Candidate candidate, String decidedBy, String disposition,
                         String causeEventId, String grantId, int depth) {
    }

    public record Outputs(List<RunEvent> runEvents, Optional<Deploy> deploy) {
        static Outputs none() {
            return new Outputs(List.of(), Optional.empty());
        }
    }

    /** What the assessments amount to under the policy's conflict rule. */
    public record Verdicts(Disposition disposition, String reason, List<String> conflicts, List<String> missing) {
    }

    private final Envelopes envelopes;

    public GateDecider(Envelopes envelopes) {
        this.envelopes = envelopes;
    }

    public static String policyName(RunState s) {
        return s.parameters().getOrDefault(PARAM_POLICY, GatePolicy.DEFAULT);
    }

    /**
     * The run plans a gate, its sweep completed, and nothing has been asked yet for the gate attempt the run asks for:
     * the sweep's completing attempt (a run resumed from the gate, or from the sweep, completes its sweep again as a
     * later attempt).
     */
    public static boolean readyToOpen(RunState s) {
        StageState sweep = s.stages().get(Stages.SWEEP);
        if (!s.triggered() || !s.plannedStages().contains(Stages.GATE) || sweep == null
                || sweep.status() != StageState.Status.COMPLETED) {
            return false;
        }
        StageState gate = s.stages().get(Stages.GATE);
        int opened = s.gate() == null || s.gate().requested().isEmpty() ? 0 : s.gate().attempt();
        return sweep.attempt() > Math.max(opened, gate == null ? 0 : gate.attempt());
    }

    /** The gate attempt being decided: that of its requests, or the one the sweep's completion asks for. */
    private static int attempt(RunState s) {
        int requested = s.gate() == null || s.gate().requested().isEmpty() ? 0 : s.gate().attempt();
        StageState sweep = s.stages().get(Stages.SWEEP);
        return Math.max(1, requested > 0 ? requested : sweep == null ? 1 : sweep.attempt());
    }

    /** Starts the gate: one assessment request per specialist, one delegation level below the coordinator. */
    public Outputs open(RunState s, GatePolicy policy, Authority authority, Instant now) {
        String cause = s.stages().get(Stages.SWEEP).decidingEventId();
        int attempt = Math.max(1, s.stages().get(Stages.SWEEP).attempt());
        List<RunEvent> out = new ArrayList<>();
        out.add(RunEvents.started(envelope(s, cause, "gate-started", authority.grantId(), authority.depth(), attempt), Stages.GATE));
        if (!authority.decision().allowed()) {
            out.add(RunEvents.failed(envelope(s, cause, "gate-failed", authority.grantId(), authority.depth(), attempt), Stages.GATE,
                    "unauthorised: " + authority.decision().reason(), false));
            return new Outputs(out, Optional.empty());
        }
        Optional<String> problem = candidateProblem(s);
        if (problem.isPresent()) {
            out.add(RunEvents.failed(envelope(s, cause, "gate-failed", authority.grantId(), authority.depth(), attempt), Stages.GATE,
                    "no candidate to judge: " + problem.get(), false));
            return new Outputs(out, Optional.empty());
        }
        Candidate candidate = candidate(s);
        Instant deadline = now.plus(policy.assessmentTimeout());
        for (String specialist : policy.specialists()) {
            out.add(new RunEvent(envelope(s, cause, "assess-" + specialist, authority.grantId(), authority.depth() + 1, attempt),
                    new AssessmentRequested(specialist, candidate, deadline)));
        }
        return new Outputs(out, Optional.empty());
    }

    /** Decides once every specialist answered or the deadline passed; ships a decided SHIP. */
    public Outputs next(RunState s, GatePolicy policy, Instant now) {
        GateState gate = s.gate();
        if (gate == null || gate.requested().isEmpty() || gateFinished(s)) {
            return Outputs.none();
        }
        String firstRequest = gate.requested().values().stream().sorted().findFirst().orElseThrow();
        String grantId = grantOf(s);
        if (gate.decision() == null) {
            if (!gate.allAnswered() && now.isBefore(gate.deadline())) {
                return Outputs.none();
            }
            Verdicts verdicts = verdicts(gate.assessments(), List.copyOf(gate.requested().keySet()), policy.returnWhen());
            List<RunEvent> out = new ArrayList<>();
            if (GateDebate.opens(policy, verdicts, gate.assessments())) {
                Optional<Verdicts> ruled = debated(s, firstRequest, gate, verdicts, policy, now, out);
                if (ruled.isEmpty()) {
                    return new Outputs(out, Optional.empty());
                }
                verdicts = ruled.get();
            }
            RunEvent decided = new RunEvent(envelope(s, firstRequest, "gate-decided", grantId, gate.requestDepth() - 1),
                    new GateDecided(verdicts.disposition(), verdicts.reason(), verdicts.conflicts(), verdicts.missing(),
                            policy.returnWhen().describe()));
            out.add(decided);
            if (verdicts.disposition() == Disposition.SHIP) {
                return new Outputs(out, Optional.of(new Deploy(s.contract(), GatePolicy.PRODUCTION_ALIAS, gate.candidate(),
                        envelopes.role(), positions(gate, verdicts), decided.getEnvelope().getEventId(), grantId,
                        gate.requestDepth() - 1)));
            }
            return new Outputs(out, Optional.empty());
        }
        if (!gate.returnedToPrincipal() && gate.deployment() == null) {
            // Decided SHIP but the deployment was not reported (a crash in between): moving the alias again is harmless.
            Verdicts verdicts = verdicts(gate.assessments(), List.copyOf(gate.requested().keySet()), policy.returnWhen());
            return new Outputs(List.of(), Optional.of(new Deploy(s.contract(), GatePolicy.PRODUCTION_ALIAS, gate.candidate(),
                    envelopes.role(), positions(gate, verdicts), gate.decision().eventId(), grantId, gate.requestDepth() - 1)));
        }
        return Outputs.none();
    }

    /**
     * A conflict goes to the debate before the gate decides: the first time, the debate is opened (the debate worker
     * argues it); once it has ruled, or its deadline passed, returns the verdicts the gate decides on; empty while it
     * runs, or when a binding ruling held the run (then the gate's failure is in {@code out}).
     */
    private Optional<Verdicts> debated(RunState s, String cause, GateState gate, Verdicts verdicts, GatePolicy policy,
                                       Instant now, List<RunEvent> out) {
        String grantId = grantOf(s);
        int depth = gate.requestDepth() - 1;
        GateState.Debate debate = gate.debate();
        if (debate == null || debate.openedEventId() == null) {
            List<AssessmentReturned> assessments = gate.assessments().values().stream().map(a -> new AssessmentReturned(
                    a.specialist(), Verdict.valueOf(a.verdict()), a.summary(), a.metrics(), a.evidence())).toList();
            GatePolicy.Debate settings = policy.debateOrNever();
            out.add(new RunEvent(envelope(s, cause, "debate-opened", grantId, depth), DebateOpened.newBuilder()
                    .setPolicy(policy.name()).setRounds(settings.rounds())
                    .setJudgeDecides(settings.judge() == GatePolicy.Debate.JudgeMay.DECIDE)
                    .setAnyBlock(policy.returnWhen().anyBlock()).setConcernsAtLeast(policy.returnWhen().concernsAtLeast())
                    .setConflicts(verdicts.conflicts()).setAssessments(assessments)
                    .setDeadline(now.plus(policy.assessmentTimeout())).build()));
            return Optional.empty();
        }
        GateState.Ruling ruling = debate.ruling();
        if (ruling == null) {
            if (now.isBefore(debate.deadline())) {
                return Optional.empty();
            }
            return Optional.of(new Verdicts(verdicts.disposition(), verdicts.reason() + "; the debate did not rule by its "
                    + "deadline " + debate.deadline() + ": flagged for a person", verdicts.conflicts(), verdicts.missing()));
        }
        if (!ruling.binding()) {
            return Optional.of(new Verdicts(verdicts.disposition(), verdicts.reason() + "; after the debate the judge ("
                    + ruling.judge() + ") recommends " + ruling.ruling() + ": " + ruling.reason(),
                    verdicts.conflicts(), verdicts.missing()));
        }
        return switch (Ruling.valueOf(ruling.ruling())) {
            case SHIP -> Optional.of(new Verdicts(Disposition.SHIP, "the judge (" + ruling.judge() + ") ruled SHIP after "
                    + "the debate over " + String.join("; ", verdicts.conflicts()) + ": " + ruling.reason(),
                    verdicts.conflicts(), verdicts.missing()));
            case HOLD -> {
                out.add(RunEvents.failed(envelope(s, cause, "gate-held", grantId, depth), Stages.GATE,
                        "held by the judge (" + ruling.judge() + ") after the debate: " + ruling.reason(), false));
                yield Optional.empty();
            }
            case RETURN_TO_PRINCIPAL -> Optional.of(new Verdicts(Disposition.RETURN_TO_PRINCIPAL, verdicts.reason()
                    + "; the judge (" + ruling.judge() + ") returns it after the debate: " + ruling.reason(),
                    verdicts.conflicts(), verdicts.missing()));
        };
    }

    /**
     * The principal decided on a returned run ({@code authorised} is the ledger's answer for the decision's grant):
     * approve ships, reject finishes the run rejected. Anything else changes nothing.
     */
    public Outputs principalDecided(RunState s, GatePolicy policy, String decisionEventId) {
        GateState gate = s.gate();
        if (gate == null || !gate.returnedToPrincipal() || gateFinished(s)) {
            return Outputs.none();
        }
        GateState.PrincipalVote vote = gate.principalDecisions().get(decisionEventId);
        if (vote == null) {
            return Outputs.none();
        }
        if (PrincipalDecision.APPROVE.name().equals(vote.decision())) {
            return new Outputs(List.of(), Optional.of(new Deploy(s.contract(), GatePolicy.PRODUCTION_ALIAS, gate.candidate(),
                    vote.decidedBy(), "APPROVED by " + vote.decidedBy() + " (" + vote.reason() + ") after return: "
                    + gate.decision().reason(), decisionEventId, grantOf(s), gate.requestDepth() - 1)));
        }
        return new Outputs(List.of(RunEvents.failed(envelope(s, decisionEventId, "gate-rejected", grantOf(s),
                gate.requestDepth() - 1), Stages.GATE, "rejected by " + vote.decidedBy() + ": " + vote.reason(), false)),
                Optional.empty());
    }

    /** The events that report a moved alias: the deployment and the gate's completion. */
    public List<RunEvent> deployed(RunState s, Deploy deploy, String previousCheckpoint) {
        GateState.Candidate c = deploy.candidate();
        RunEvent deployed = new RunEvent(envelope(s, deploy.causeEventId(), "deployed", deploy.grantId(), deploy.depth()),
                new ModelDeployed(deploy.alias(), deploy.contract(), c.checkpoint(), c.checksum(), previousCheckpoint,
                        deploy.decidedBy(), deploy.disposition()));
        Map<String, String> audit = new LinkedHashMap<>();
        audit.put(DISPOSITION, deploy.disposition());
        audit.put(DECIDED_BY, deploy.decidedBy());
        audit.put(DEPLOYED_CHECKPOINT, c.checkpoint());
        RunEvent completed = RunEvents.completed(envelope(s, deploy.causeEventId(), "gate-completed", deploy.grantId(),
                deploy.depth()), Stages.GATE, Map.of("assessments", (long) s.gate().assessments().size()), audit,
                Handoffs.of(s.plannedStages(), s.contract(), s.triggeredAt(), 0));
        return List.of(deployed, completed);
    }

    /** The conflict rule, applied: a missing assessment always returns the run, flagged for a person. */
    public static Verdicts verdicts(Map<String, GateState.Assessment> assessments, List<String> specialists,
                                    GatePolicy.ReturnWhen rule) {
        List<String> missing = specialists.stream().filter(sp -> !assessments.containsKey(sp)).toList();
        List<String> conflicts = new ArrayList<>();
        List<GateState.Assessment> given = specialists.stream().map(assessments::get).filter(a -> a != null).toList();
        if (rule.anyBlock()) {
            given.stream().filter(a -> "BLOCK".equals(a.verdict()))
                    .forEach(a -> conflicts.add(a.specialist() + " blocks: " + a.summary()));
        }
        List<GateState.Assessment> concerns = given.stream().filter(a -> "CONCERN".equals(a.verdict())).toList();
        if (concerns.size() >= rule.concernsAtLeast()) {
            conflicts.add(concerns.size() + " concerns (" + concerns.stream().map(GateState.Assessment::specialist)
                    .collect(Collectors.joining(", ")) + ") reach the rule's " + rule.concernsAtLeast());
        }
        if (!missing.isEmpty()) {
            return new Verdicts(Disposition.RETURN_TO_PRINCIPAL, "flagged for a person: no assessment from "
                    + String.join(", ", missing) + " in time" + (conflicts.isEmpty() ? "" : "; " + String.join("; ", conflicts)),
                    conflicts, missing);
        }
        if (!conflicts.isEmpty()) {
            return new Verdicts(Disposition.RETURN_TO_PRINCIPAL, String.join("; ", conflicts), conflicts, missing);
        }
        long approvals = given.stream().filter(a -> "APPROVE".equals(a.verdict())).count();
        return new Verdicts(Disposition.SHIP, approvals + " of " + specialists.size() + " approve"
                + (concerns.isEmpty() ? "" : ", " + concerns.size() + " concern below the rule"), conflicts, missing);
    }

    private static String positions(GateState gate, Verdicts verdicts) {
        return verdicts.disposition() + " by coordinator: " + verdicts.reason() + "; " + gate.assessments().values().stream()
                .map(a -> a.specialist() + "=" + a.verdict()).collect(Collectors.joining(", "));
    }

    private static boolean gateFinished(RunState s) {
        StageState stage = s.stages().get(Stages.GATE);
        return stage != null && stage.status().terminal();
    }

    private static String grantOf(RunState s) {
        return s.parameters().get(PARAM_GRANT);
    }

    static Optional<String> candidateProblem(RunState s) {
        SweepState sweep = s.sweep();
        if (sweep == null || sweep.outcome() == null || sweep.outcome().winnerCellId() == null) {
            return Optional.of("the sweep named no winner");
        }
        if (s.dataset() == null) {
            return Optional.of("the run has no published dataset");
        }
        return Optional.empty();
    }

    static Candidate candidate(RunState s) {
        SweepState.Outcome o = s.sweep().outcome();
        SweepState.CellState winner = s.sweep().cells().get(o.winnerCellId());
        double latency = winner != null && winner.inferenceLatencyMicros() != null ? winner.inferenceLatencyMicros() : 0.0;
        return new Candidate(o.winnerCellId(), o.winnerCheckpoint(), o.winnerChecksum(),
                winner != null && winner.validationLoss() != null ? winner.validationLoss() : Double.NaN, latency,
                s.contract() == null ? "" : s.contract(), s.dataset().location());
    }

    private Envelope envelope(RunState s, String causeEventId, String discriminator, String grantId, int depth) {
        return envelope(s, causeEventId, discriminator, grantId, depth, attempt(s));
    }

    private Envelope envelope(RunState s, String causeEventId, String discriminator, String grantId, int depth, int attempt) {
        return envelopes.envelope(envelopes.derivedId(causeEventId, discriminator), s.runId(), causeEventId, grantId,
                Math.max(0, depth), attempt, 0, null);
    }
}
