package dev.agentmesh.runstate;

import java.time.Instant;
import java.util.SortedMap;

/** The latest attempt of one stage of a run. */
public record StageState(
        String stage,
        Status status,
        int attempt,
        Instant startedAt,
        Instant finishedAt,
        SortedMap<String, Long> counts,
        SortedMap<String, String> audit,
        String reason,
        String agentInstance,
        String decidingEventId) {

    public enum Status {
        STARTED, COMPLETED, FAILED;

        public boolean terminal() {
            return this != STARTED;
        }
    }
}
