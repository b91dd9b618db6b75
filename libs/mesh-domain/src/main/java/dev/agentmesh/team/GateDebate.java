package dev.agentmesh.team;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.core.Envelopes;
import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.gate.DebateArgued;
import dev.agentmesh.gate.DebateJudged;
import dev.agentmesh.gate.DebateOpened;
import dev.agentmesh.gate.DebateSide;
import dev.agentmesh.gate.Disposition;
import dev.agentmesh.gate.Ruling;
import dev.agentmesh.judgment.Answer;
import dev.agentmesh.judgment.AnswerSchema;
import dev.agentmesh.judgment.Judged;
import dev.agentmesh.judgment.Judgment;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.judgment.Question;
import dev.agentmesh.judgment.SpendLimit;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.GateState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The gate's debate: when the assessments conflict, an advocate for shipping and one for holding argue from the
 * assessments' evidence for the policy's rounds, each seeing what was argued before, and a judge rules. Advocates and
 * judge are each a {@link Judgment}: the deterministic rules below, or a model.
 */
public final class GateDebate {

    /**
     * Everything the debate produced, in order. A debate that could not finish ({@code failure}) still ends in a
     * ruling: a binding return to the principal that says why.
     */
    public record Outcome(List<ModelCalled> calls, List<DebateArgued> arguments, DebateJudged judged, String failure) {
        public boolean finished() {
            return failure == null;
        }
    }

    private final Judgment advocates;
    private final Judgment judge;

    public GateDebate(Judgment advocates, Judgment judge) {
        this.advocates = advocates;
        this.judge = judge;
    }

    public static GateDebate rules() {
        return new GateDebate(Judgment.rules(), Judgment.rules());
    }

    /** A debate opens when the rule would return the run, nobody is missing, and at least one specialist approves. */
    public static boolean opens(GatePolicy policy, GateDecider.Verdicts verdicts, Map<String, GateState.Assessment> assessments) {
        return policy.debateOrNever().openWhen() == GatePolicy.Debate.OpenWhen.CONFLICT
                && verdicts.disposition() == Disposition.RETURN_TO_PRINCIPAL && verdicts.missing().isEmpty()
                && !verdicts.conflicts().isEmpty()
                && assessments.values().stream().anyMatch(a -> "APPROVE".equals(a.verdict()));
    }

    public Outcome hold(Map<String, GateState.Assessment> assessments, GatePolicy.ReturnWhen rule, GatePolicy.Debate settings,
                        SpendLimit limit) {
        String facts = facts(assessments);
        StringBuilder transcript = new StringBuilder();
        List<ModelCalled> calls = new ArrayList<>();
        List<DebateArgued> arguments = new ArrayList<>();
        for (int round = 1; round <= settings.rounds(); round++) {
            for (DebateSide side : DebateSide.values()) {
                Question question = new Question("debate:" + side.name().toLowerCase(Locale.ROOT) + ":" + round,
                        advocateBrief(side), facts + transcript, AnswerSchema.of(DebateSide.getClassSchema(), List.of(side.name())));
                Judged judged = advocates.judge(question, argue(side, round, assessments), remaining(limit, calls));
                calls.addAll(judged.calls());
                if (!judged.usable()) {
                    return failed(calls, arguments, settings, "the " + side + " advocate gave no usable argument in round "
                            + round + ": " + judged.failure());
                }
                arguments.add(new DebateArgued(side, round, judged.answer().summary(), judged.answer().evidence(), advocates.name()));
                transcript.append("\nRound ").append(round).append(", advocate for ").append(side).append(": ")
                        .append(judged.answer().summary()).append(" Cites: ").append(judged.answer().evidence());
            }
        }
        Question question = new Question("debate:judge", judgeBrief(rule), facts + transcript,
                AnswerSchema.of(Ruling.getClassSchema()));
        Judged ruled = judge.judge(question, rule(rule, assessments), remaining(limit, calls));
        calls.addAll(ruled.calls());
        if (!ruled.usable()) {
            return failed(calls, arguments, settings, "the judge gave no usable ruling: " + ruled.failure());
        }
        Answer ruling = ruled.answer();
        return new Outcome(calls, arguments, new DebateJudged(Ruling.valueOf(ruling.verdict()), ruling.summary(),
                ruling.evidence(), settings.judge() == GatePolicy.Debate.JudgeMay.DECIDE, settings.rounds(), judge.name()), null);
    }

    private Outcome failed(List<ModelCalled> calls, List<DebateArgued> arguments, GatePolicy.Debate settings, String failure) {
        return new Outcome(calls, arguments, new DebateJudged(Ruling.RETURN_TO_PRINCIPAL, "the debate could not finish ("
                + failure + "): flagged for a person", Map.of(), true, settings.rounds(), judge.name()), failure);
    }

    /**
     * The debate worker's part: holds the debate {@code opened} asks for and returns its events, each derived from
     * the opening event (a redelivered opening gives the same ids), under its grant. A model call's tokens and money
     * are its envelope's cost.
     */
    public List<RunEvent> run(RunEvent opened, Envelopes envelopes, SpendLimit limit) {
        DebateOpened debate = (DebateOpened) opened.getPayload();
        Envelope cause = opened.getEnvelope();
        Map<String, GateState.Assessment> assessments = new TreeMap<>();
        for (AssessmentReturned a : debate.getAssessments()) {
            assessments.put(a.getSpecialist(), new GateState.Assessment(a.getSpecialist(), a.getVerdict().name(), a.getSummary(),
                    new TreeMap<>(a.getMetrics()), new TreeMap<>(a.getEvidence()), null, null, null));
        }
        Outcome outcome = hold(assessments, new GatePolicy.ReturnWhen(debate.getAnyBlock(), debate.getConcernsAtLeast()),
                new GatePolicy.Debate(GatePolicy.Debate.OpenWhen.CONFLICT, Math.max(1, Math.min(5, debate.getRounds())),
                        debate.getJudgeDecides() ? GatePolicy.Debate.JudgeMay.DECIDE : GatePolicy.Debate.JudgeMay.RECOMMEND),
                limit);
        List<RunEvent> out = new ArrayList<>();
        for (ModelCalled call : outcome.calls()) {
            out.add(ModelCallEvents.of(envelopes, cause, call));
        }
        for (DebateArgued argument : outcome.arguments()) {
            out.add(new RunEvent(envelopes.causedBy(cause, "debate-" + argument.getSide() + "-" + argument.getRound(), 0),
                    argument));
        }
        out.add(new RunEvent(envelopes.causedBy(cause, "debate-judged", 0), outcome.judged()));
        return out;
    }

    private static SpendLimit remaining(SpendLimit limit, List<ModelCalled> calls) {
        return limit.after(calls.stream().mapToLong(c -> c.getInputTokens() + c.getOutputTokens()).sum(),
                calls.stream().mapToLong(ModelCalled::getMoneyMicros).sum());
    }

    /** The rules' advocate: the first round cites its side's summaries, later rounds their measurements. */
    static Answer argue(DebateSide side, int round, Map<String, GateState.Assessment> assessments) {
        List<GateState.Assessment> mine = assessments.values().stream()
                .filter(a -> side == DebateSide.SHIP ? "APPROVE".equals(a.verdict()) : !"APPROVE".equals(a.verdict()))
                .toList();
        Map<String, String> evidence = new LinkedHashMap<>();
        if (mine.isEmpty()) {
            return new Answer(side.name(), "No specialist's verdict supports " + side + ".", evidence);
        }
        String who = mine.stream().map(a -> a.specialist() + " " + a.verdict()).collect(Collectors.joining(", "));
        if (round == 1) {
            mine.forEach(a -> evidence.put(a.specialist(), a.summary()));
            return new Answer(side.name(), (side == DebateSide.SHIP ? "Ship: " : "Hold: ") + who + ".", evidence);
        }
        for (GateState.Assessment a : mine) {
            a.metrics().entrySet().stream().limit(4)
                    .forEach(m -> evidence.put(a.specialist() + "." + m.getKey(), String.valueOf(m.getValue())));
        }
        return new Answer(side.name(), (side == DebateSide.SHIP ? "The measurements behind shipping: "
                : "The measurements behind holding: ") + who + ".", evidence);
    }

    /** The rules' judge applies the gate policy: a block holds (if the rule holds on blocks), concerns return. */
    static Answer rule(GatePolicy.ReturnWhen rule, Map<String, GateState.Assessment> assessments) {
        Map<String, String> deciding = new LinkedHashMap<>();
        List<GateState.Assessment> blocks = assessments.values().stream().filter(a -> "BLOCK".equals(a.verdict())).toList();
        if (rule.anyBlock() && !blocks.isEmpty()) {
            blocks.forEach(a -> deciding.put(a.specialist(), a.summary()));
            return new Answer(Ruling.HOLD.name(), "Hold: " + blocks.stream().map(GateState.Assessment::specialist)
                    .collect(Collectors.joining(", ")) + " block" + (blocks.size() == 1 ? "s" : "")
                    + ", and the policy (" + rule.describe() + ") does not ship over a block.", deciding);
        }
        List<GateState.Assessment> concerns = assessments.values().stream().filter(a -> "CONCERN".equals(a.verdict())).toList();
        if (concerns.size() >= rule.concernsAtLeast()) {
            concerns.forEach(a -> deciding.put(a.specialist(), a.summary()));
            return new Answer(Ruling.RETURN_TO_PRINCIPAL.name(), concerns.size() + " concerns reach the policy's "
                    + rule.concernsAtLeast() + ": a person weighs them.", deciding);
        }
        assessments.values().stream().filter(a -> "APPROVE".equals(a.verdict()))
                .forEach(a -> deciding.put(a.specialist(), a.summary()));
        return new Answer(Ruling.SHIP.name(), "No objection reaches the policy (" + rule.describe() + ").", deciding);
    }

    /** The assessments as the advocates and the judge read them, in a stable order (replay renders the same text). */
    static String facts(Map<String, GateState.Assessment> assessments) {
        StringBuilder out = new StringBuilder("The specialists' assessments of the candidate model:");
        for (GateState.Assessment a : assessments.values()) {
            out.append("\n- ").append(a.specialist()).append(": ").append(a.verdict()).append(". ").append(a.summary());
            if (!a.metrics().isEmpty()) {
                out.append("\n  metrics: ").append(a.metrics());
            }
            if (!a.evidence().isEmpty()) {
                out.append("\n  evidence: ").append(a.evidence());
            }
        }
        return out.toString();
    }

    private static String advocateBrief(DebateSide side) {
        return "You are the advocate for " + (side == DebateSide.SHIP ? "shipping the candidate model to production"
                : "holding the candidate model back") + " at a release gate. Argue only from the assessments' evidence; "
                + "cite each figure you use in 'evidence' (specialist.metric to value). 'verdict' is your side, "
                + side + "; 'summary' is your argument in at most three sentences.";
    }

    private static String judgeBrief(GatePolicy.ReturnWhen rule) {
        return "You are the judge at a release gate. Weigh the advocates' arguments against the assessments and rule: "
                + "SHIP, HOLD (do not ship), or RETURN_TO_PRINCIPAL (a person decides). The gate policy is: return the run "
                + "on " + rule.describe() + ". Put the evidence that decided your ruling in 'evidence' and "
                + "your reasoning in 'summary'.";
    }
}
