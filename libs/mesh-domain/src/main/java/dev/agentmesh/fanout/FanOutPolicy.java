package dev.agentmesh.fanout;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a sweep fans out and fans in. Recorded in the run's {@code SweepPlanned} event as a string map, and read
 * back from there, so an orchestrator that restarts applies the policy the run was planned with.
 */
public record FanOutPolicy(
        @JsonProperty("max_concurrency") int maxConcurrency,
        @JsonProperty("cell_timeout") Duration cellTimeout,
        @JsonProperty("queue_timeout") Duration queueTimeout,
        @JsonProperty("max_attempts") int maxAttempts,
        @JsonProperty("min_successes") int minSuccesses,
        @JsonProperty("on_partial") OnPartial onPartial,
        Mode mode,
        @JsonProperty("target_validation_loss") Double targetValidationLoss,
        @JsonProperty("cell_cost_estimate_ms") long cellCostEstimateMs) {

    public enum OnPartial {
        @JsonProperty("rank_available") RANK_AVAILABLE,
        @JsonProperty("fail") FAIL
    }

    public enum Mode {
        @JsonProperty("gather") GATHER,
        @JsonProperty("race") RACE
    }

    void check(int cells) {
        require(maxConcurrency > 0, "max_concurrency must be positive");
        require(cellTimeout != null && !cellTimeout.isNegative() && !cellTimeout.isZero(), "cell_timeout must be positive");
        require(maxAttempts > 0, "max_attempts must be positive");
        require(minSuccesses > 0 && minSuccesses <= cells, "min_successes must be between 1 and the number of cells (" + cells + ")");
        require(onPartial != null, "on_partial must be rank_available or fail");
        require(mode != null, "mode must be gather or race");
        require(mode != Mode.RACE || targetValidationLoss != null, "race mode needs target_validation_loss");
        require(cellCostEstimateMs >= 0, "cell_cost_estimate_ms must not be negative");
    }

    /** Time a dispatched cell may wait for a trainer before it counts as lost. */
    public Duration queueTimeoutOrDefault() {
        return queueTimeout != null ? queueTimeout : cellTimeout.multipliedBy(5);
    }

    public Map<String, String> toMap() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("max_concurrency", Integer.toString(maxConcurrency));
        map.put("cell_timeout", cellTimeout.toString());
        map.put("queue_timeout", queueTimeoutOrDefault().toString());
        map.put("max_attempts", Integer.toString(maxAttempts));
        map.put("min_successes", Integer.toString(minSuccesses));
        map.put("on_partial", onPartial == OnPartial.FAIL ? "fail" : "rank_available");
        map.put("mode", mode == Mode.RACE ? "race" : "gather");
        if (targetValidationLoss != null) {
            map.put("target_validation_loss", Double.toString(targetValidationLoss));
        }
        map.put("cell_cost_estimate_ms", Long.toString(cellCostEstimateMs));
        return map;
    }

    public static FanOutPolicy fromMap(Map<String, String> map) {
        String target = map.get("target_validation_loss");
        return new FanOutPolicy(Integer.parseInt(map.get("max_concurrency")), Duration.parse(map.get("cell_timeout")),
                Duration.parse(map.get("queue_timeout")), Integer.parseInt(map.get("max_attempts")),
                Integer.parseInt(map.get("min_successes")),
                "fail".equals(map.get("on_partial")) ? OnPartial.FAIL : OnPartial.RANK_AVAILABLE,
                "race".equals(map.get("mode")) ? Mode.RACE : Mode.GATHER,
                target == null ? null : Double.valueOf(target), Long.parseLong(map.get("cell_cost_estimate_ms")));
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("invalid fan-out policy: " + message);
        }
    }
}
