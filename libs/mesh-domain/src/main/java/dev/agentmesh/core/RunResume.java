package dev.agentmesh.core;

import java.util.Objects;
import dev.agentmesh.common.Envelope;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.run.RunTriggered;
import dev.agentmesh.run.StageCompleted;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.StageState;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The operator's mantra, "resume from the failing stage": every stage starts from one event (the trigger, or the
 * previous stage's completion), so publishing that event again, as a new attempt, runs the stage and those after it
 * again and reuses everything published before it. The new attempt outranks the failed one in run state. A sweep
 * resumed on the same dataset keeps the cells that succeeded (and their checkpoints) and runs the others again; a
 * resumed gate asks every specialist again about the same candidate and decides afresh.
 */
public final class RunResume {

    private RunResume() {
    }

    /** The event that starts {@code stage} in this run: the trigger, or the previous planned stage's completion. */
    public static Optional<RunEvent> cause(RunState state, List<RunEvent> events, String stage) {
        List<String> plan = state.plannedStages();
        int index = plan.indexOf(stage);
        if (index < 0) {
            throw new IllegalArgumentException("stage " + stage + " is not in the run's plan " + plan);
        }
        if (!Stages.NIGHTLY.contains(stage)) {
            throw new IllegalArgumentException("resume from " + stage + " is not supported (stages: " + Stages.NIGHTLY + ")");
        }
        if (index == 0 && (stage.equals(Stages.SWEEP) || stage.equals(Stages.GATE))) {
            throw new IllegalArgumentException("the " + stage + " is the first stage of this run's plan: no earlier stage "
                    + "completed to resume it from");
        }
        if (index == 0) {
            return events.stream().filter(e -> e.getPayload() instanceof RunTriggered).findFirst();
        }
        StageState previous = state.stages().get(plan.get(index - 1));
        if (previous == null || previous.status() != StageState.Status.COMPLETED) {
            return Optional.empty();
        }
        return events.stream().filter(e -> e.getEnvelope().getEventId().equals(previous.decidingEventId())
                && e.getPayload() instanceof StageCompleted).findFirst();
    }

    /** One more than any attempt of {@code stage} or of the stages after it, so the new attempt wins in run state. */
    public static int nextAttempt(RunState state, String stage) {
        List<String> plan = state.plannedStages();
        return plan.subList(plan.indexOf(stage), plan.size()).stream().map(state.stages()::get)
                .filter(Objects::nonNull).mapToInt(StageState::attempt).max().orElse(0) + 1;
    }

    /** The cause again: same payload and grant, a new event id, the new attempt, caused by the original. */
    public static RunEvent again(RunEvent cause, int attempt, String operatorInstance) {
        Envelope original = cause.getEnvelope();
        Envelope envelope = Envelope.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setRunId(original.getRunId())
                .setCausationId(original.getEventId())
                .setAgentRole(original.getAgentRole())
                .setAgentInstance(operatorInstance)
                .setGrantId(original.getGrantId())
                .setDelegationDepth(original.getDelegationDepth())
                .setAttempt(attempt)
                .setCost(original.getCost())
                .setOccurredAt(payloadTime(cause))
                .setTraceParent(original.getTraceParent())
                .build();
        return new RunEvent(envelope, cause.getPayload());
    }

    /** A re-published trigger keeps its time, so the run keeps its start; a re-published completion is new. */
    private static Instant payloadTime(RunEvent cause) {
        return cause.getPayload() instanceof RunTriggered ? cause.getEnvelope().getOccurredAt() : Instant.now();
    }
}
