package dev.agentmesh.judgment;

import java.util.List;

/**
 * The judgment port: how a role turns the facts it gathered into a verdict. {@link #rules()} keeps the role's own
 * deterministic answer (the default, and what the embedded demo uses); {@link ModelJudgment} asks a language model.
 */
public interface Judgment {

    /** {@code rules} for the deterministic rules, {@code model:<name>} for a model. */
    String name();

    /**
     * Judges {@code question}; {@code rules} is the answer the role's own rules give, which the rules judgment
     * returns as it is. Calls stay within {@code limit}.
     */
    Judged judge(Question question, Answer rules, SpendLimit limit);

    static Judgment rules() {
        return RULES;
    }

    Judgment RULES = new Judgment() {
        @Override
        public String name() {
            return "rules";
        }

        @Override
        public Judged judge(Question question, Answer rules, SpendLimit limit) {
            return Judged.answered(rules, List.of());
        }
    };
}
