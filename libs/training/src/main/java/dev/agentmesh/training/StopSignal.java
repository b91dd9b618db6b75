package dev.agentmesh.training;

import java.util.Optional;

/** Asked between minibatches: a reason to stop training now, if there is one. */
@FunctionalInterface
public interface StopSignal {

    StopSignal NEVER = Optional::empty;

    /** The reason to stop, or empty to go on. A timeout says so, so it can be reported as one. */
    Optional<CellInterrupted> check();
}
