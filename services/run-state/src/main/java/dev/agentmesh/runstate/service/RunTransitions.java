package dev.agentmesh.runstate.service;

import dev.agentmesh.runstate.RunState;

/** Told of every change the fold makes to a run's state, as it makes it (not on restore). */
@FunctionalInterface
public interface RunTransitions {

    RunTransitions NONE = (before, after) -> { };

    /** {@code before} is null for a run's first event. */
    void applied(RunState before, RunState after);
}
