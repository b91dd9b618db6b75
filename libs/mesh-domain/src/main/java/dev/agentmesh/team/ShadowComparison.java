package dev.agentmesh.team;

import dev.agentmesh.gate.AssessmentReturned;
import dev.agentmesh.run.RunEvent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A shadow's answers beside production's, paired by the request both answered (the answer's causation id): verdict
 * agreement, and the numbers that moved. Plain Java: the events come from the log.
 */
public final class ShadowComparison {

    /** The evidence key under which a shadow's answer carries its version label. */
    public static final String VERSION_KEY = "shadow.version";

    /** One request answered by both. */
    public record Pair(String runId, String request, String production, String shadow, String shadowSummary,
                       Map<String, Double> metricDeltas) {
        public boolean agrees() {
            return production.equals(shadow);
        }
    }

    /** Every pair, and the shadow answers production never gave (a request production did not answer). */
    public record Report(String role, String version, List<Pair> pairs, int unmatched) {
        public long agreements() {
            return pairs.stream().filter(Pair::agrees).count();
        }

        /** Agreement over the paired answers; 1 when nothing was paired. */
        public double agreementRate() {
            return pairs.isEmpty() ? 1.0 : (double) agreements() / pairs.size();
        }
    }

    private ShadowComparison() {
    }

    /**
     * {@code shadowEvents}: what shadows published; those of {@code role} labelled {@code version} are compared with
     * {@code role}'s answers among {@code productionEvents}.
     */
    public static Report of(String role, String version, List<RunEvent> shadowEvents, List<RunEvent> productionEvents) {
        Map<String, RunEvent> production = new HashMap<>();
        for (RunEvent e : productionEvents) {
            if (e.getPayload() instanceof AssessmentReturned a && a.getSpecialist().equals(role)
                    && !a.getEvidence().containsKey(VERSION_KEY)) {
                production.putIfAbsent(e.getEnvelope().getCausationId(), e);
            }
        }
        List<Pair> pairs = new ArrayList<>();
        int unmatched = 0;
        for (RunEvent e : shadowEvents) {
            if (!(e.getPayload() instanceof AssessmentReturned s) || !s.getSpecialist().equals(role)
                    || !version.equals(s.getEvidence().get(VERSION_KEY))) {
                continue;
            }
            RunEvent p = production.get(e.getEnvelope().getCausationId());
            if (p == null) {
                unmatched++;
                continue;
            }
            AssessmentReturned prod = (AssessmentReturned) p.getPayload();
            Map<String, Double> deltas = new TreeMap<>();
            s.getMetrics().forEach((k, v) -> {
                Double before = prod.getMetrics().get(k);
                if (before != null && !before.equals(v)) {
                    deltas.put(k, v - before);
                }
            });
            pairs.add(new Pair(e.getEnvelope().getRunId(), e.getEnvelope().getCausationId(), prod.getVerdict().name(),
                    s.getVerdict().name(), s.getSummary(), deltas));
        }
        return new Report(role, version, List.copyOf(pairs), unmatched);
    }
}
