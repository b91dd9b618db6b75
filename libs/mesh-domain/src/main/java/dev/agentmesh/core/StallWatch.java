package dev.agentmesh.core;

import dev.agentmesh.common.Envelope;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunStalled;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStatus;
import dev.agentmesh.runstate.StageState;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Flags a run that has made no progress within its deadline: not finished, not waiting for its principal, not
 * already flagged, and silent for longer than {@code after}. The flag names the first planned stage that has not
 * completed; it happens at {@code now} (the watcher's clock); its event id derives from the run and the moment it went
 * silent, so instances that both notice the same silence write the same event, and the fold applies it once.
 */
public final class StallWatch {

    private final Duration after;
    private final Envelopes envelopes;

    public StallWatch(Duration after, Envelopes envelopes) {
        this.after = after;
        this.envelopes = envelopes;
    }

    public Optional<RunEvent> check(RunState state, Instant now) {
        if (state == null || state.lastEventAt() == null || state.status().terminal()
                || state.status() == RunStatus.AWAITING_PRINCIPAL || state.status() == RunStatus.STALLED
                || state.status() == RunStatus.PENDING) {
            return Optional.empty();
        }
        Duration silent = Duration.between(state.lastEventAt(), now);
        if (silent.compareTo(after) <= 0) {
            return Optional.empty();
        }
        String stage = state.plannedStages().stream()
                .filter(s -> state.stages().get(s) == null || state.stages().get(s).status() != StageState.Status.COMPLETED)
                .findFirst().orElse("");
        String reason = "no progress for " + silent.withNanos(0) + " (deadline " + after + "): stage '" + stage
                + "' has not completed; resume the run once its service is back (meshctl runs resume "
                + state.runId() + " --from " + stage + ")";
        String eventId = envelopes.derivedId(state.runId(), "stalled|" + state.lastEventAt().toEpochMilli());
        Envelope envelope = Envelope.newBuilder(envelopes.envelope(eventId, state.runId(), null, null, 0, 1, 0, null))
                .setOccurredAt(now).build();
        return Optional.of(new RunEvent(envelope, new RunStalled(stage, reason, silent.toMillis(), state.lastEventAt())));
    }
}
