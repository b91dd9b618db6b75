package dev.agentmesh.judgment;

/** What calls may still spend under the acting grant's chain: tokens and money (millionths); null is unbounded. */
public record SpendLimit(Long tokens, Long moneyMicros) {

    public static final SpendLimit NONE = new SpendLimit(null, null);

    /** What is left after spending {@code tokens} and {@code moneyMicros}. */
    public SpendLimit after(long tokens, long moneyMicros) {
        return new SpendLimit(this.tokens == null ? null : Math.max(0, this.tokens - tokens),
                this.moneyMicros == null ? null : Math.max(0, this.moneyMicros - moneyMicros));
    }

    /** Why a call expected to cost this much is refused, or null if it fits. */
    String refusal(long spentTokens, long expectedTokens, long spentMicros, long expectedMicros) {
        if (tokens != null && spentTokens + expectedTokens > tokens) {
            return "token budget: " + tokens + " left on the grant, this call may take " + expectedTokens
                    + " after " + spentTokens + " spent";
        }
        if (moneyMicros != null && spentMicros + expectedMicros > moneyMicros) {
            return "money budget: " + moneyMicros + " millionths left on the grant, this call may cost " + expectedMicros
                    + " after " + spentMicros + " spent";
        }
        return null;
    }
}
