package dev.agentmesh.core;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.run.SourceKind;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.run.StageFailed;
import dev.agentmesh.run.StageHandoff;
import dev.agentmesh.run.StageStarted;

import java.util.List;
import java.util.Map;

/** Builds run events. */
public final class RunEvents {

    private RunEvents() {
    }

    public static RunEvent triggered(Envelope envelope, String pipeline, String requestedBy, SourceKind kind,
                                     String location, String contract, List<String> stages, Map<String, String> parameters) {
        return new RunEvent(envelope, new RunTriggered(pipeline, requestedBy, kind, location, contract,
                List.copyOf(stages), Map.copyOf(parameters)));
    }

    public static RunEvent started(Envelope envelope, String stage) {
        return new RunEvent(envelope, new StageStarted(stage));
    }

    public static RunEvent completed(Envelope envelope, String stage, Map<String, Long> counts, Map<String, String> audit) {
        return completed(envelope, stage, counts, audit, null);
    }

    /** A stage's completion with what the next stage needs from it ({@link Handoffs}). */
    public static RunEvent completed(Envelope envelope, String stage, Map<String, Long> counts, Map<String, String> audit,
                                     StageHandoff handoff) {
        return new RunEvent(envelope, new StageCompleted(stage, Map.copyOf(counts), Map.copyOf(audit), handoff));
    }

    public static RunEvent failed(Envelope envelope, String stage, String reason, boolean retryable) {
        return new RunEvent(envelope, new StageFailed(stage, reason, retryable));
    }
}
