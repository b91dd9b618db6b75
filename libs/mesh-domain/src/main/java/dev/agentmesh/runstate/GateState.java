package dev.agentmesh.runstate;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * The disposition trail of a run's gate: what was asked of whom, every assessment with its evidence, the refusals,
 * the coordinator's decision with its conflicts, the principal's decisions, and the deployment.
 *
 * <p>A resumed gate ({@code meshctl runs resume --from gate}, or a sweep resumed before it) is a new gate attempt
 * ({@code attempt}): its requests start a fresh trail; the ids of the earlier attempt's requests and decisions are
 * {@code retired}, so answers and decisions that arrive late for that attempt change nothing.
 */
public record GateState(
        Candidate candidate,
        Instant deadline,
        int requestDepth,
        SortedMap<String, String> requested,
        SortedMap<String, Assessment> assessments,
        SortedMap<String, Refusal> refusals,
        Decision decision,
        SortedMap<String, PrincipalVote> principalDecisions,
        List<String> actedOn,
        Deployment deployment,
        int attempt,
        List<String> retired,
        Debate debate) {

    public GateState {
        retired = retired == null ? List.of() : retired;
    }

    /**
     * The debate held when the assessments conflicted: when it was opened and until when it may take, each argument
     * by round and side, and the judge's ruling.
     */
    public record Debate(String openedEventId, Instant deadline, SortedMap<String, Argument> arguments, Ruling ruling) {
    }

    public record Argument(String side, int round, String argument, SortedMap<String, String> evidence, String advocate,
                           String eventId) {
        /** The key of an argument in its debate: round, then side. */
        public String key() {
            return String.format("%02d-%s", round, side);
        }
    }

    public record Ruling(String ruling, String reason, SortedMap<String, String> decidingEvidence, boolean binding,
                         int rounds, String judge, String eventId) {
    }

    public record Candidate(String cellId, String checkpoint, String checksum, double validationLoss,
                            double inferenceLatencyMicros, String contract, String datasetLocation) {
    }

    public record Assessment(String specialist, String verdict, String summary, SortedMap<String, Double> metrics,
                             SortedMap<String, String> evidence, String agentInstance, Instant at, String eventId) {
    }

    public record Refusal(String agentRole, int delegationDepth, int maxDepth, String reason, String refusedEventId) {
    }

    public record Decision(String disposition, String reason, List<String> conflicts, List<String> missing, String rule,
                           String decidedBy, Instant at, String eventId) {
    }

    public record PrincipalVote(String decision, String decidedBy, String reason, String grantId, Instant at) {
    }

    public record Deployment(String alias, String contract, String checkpoint, String checksum, String previousCheckpoint,
                             String decidedBy, String disposition, Instant at, String eventId) {
    }

    public boolean returnedToPrincipal() {
        return decision != null && "RETURN_TO_PRINCIPAL".equals(decision.disposition());
    }

    /** The principal decision the coordinator acted on (its gate-finishing event names it as cause), if any. */
    public Optional<Map.Entry<String, PrincipalVote>> acceptedPrincipalDecision() {
        return principalDecisions.entrySet().stream().filter(e -> actedOn.contains(e.getKey())).findFirst();
    }

    public boolean allAnswered() {
        return !requested.isEmpty() && assessments.keySet().containsAll(requested.keySet());
    }
}
