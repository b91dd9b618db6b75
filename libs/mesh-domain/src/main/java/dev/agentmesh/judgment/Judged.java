package dev.agentmesh.judgment;

import java.util.List;

/**
 * The outcome of a judgment: the answer, or why there is none; and every model call made (or refused) on the way,
 * each to be recorded as an event.
 */
public record Judged(Answer answer, List<ModelCalled> calls, String failure) {

    public Judged {
        calls = List.copyOf(calls);
    }

    public static Judged answered(Answer answer, List<ModelCalled> calls) {
        return new Judged(answer, calls, null);
    }

    public static Judged failed(String failure, List<ModelCalled> calls) {
        return new Judged(null, calls, failure);
    }

    public boolean usable() {
        return answer != null;
    }

    public long tokens() {
        return calls.stream().mapToLong(c -> c.getInputTokens() + c.getOutputTokens()).sum();
    }

    public long moneyMicros() {
        return calls.stream().mapToLong(ModelCalled::getMoneyMicros).sum();
    }

    /** The raw answer of the last call that returned one, for a failure's record. */
    public String lastResponse() {
        for (int i = calls.size() - 1; i >= 0; i--) {
            if (calls.get(i).getResponse() != null) {
                return calls.get(i).getResponse();
            }
        }
        return null;
    }
}
