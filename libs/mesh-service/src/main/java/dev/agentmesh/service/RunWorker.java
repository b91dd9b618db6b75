package dev.agentmesh.service;

import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.ActiveRuns;
import dev.agentmesh.topics.Topic;

import java.util.List;

/**
 * A process manager's logic, run by {@link RunProcessManager}: what it does with a run event and with the passing of
 * time, given its runs (kept in a changelogged store) and an outbox. The implementation is the service's thin shell
 * around its decider.
 */
public interface RunWorker {

    /** The stage this manager owns: a run whose plan lacks it is settled on sight. Null: it manages every run. */
    String stage();

    /** Whether an event of a settled run brings it back (by default: a resume that may start the stage again). */
    default boolean reopens(RunEvent event) {
        return ActiveRuns.reopens(event, stage());
    }

    /** The topics it writes, besides the dead-letter topic. */
    List<Topic<?, ?>> outputs();

    /** Handles one run event. Throwing sends the event to the dead-letter topic with the exception as its reason. */
    void handle(LoggedRecord record, ActiveRuns runs, Outbox out);

    /** Decisions that fall due without new events (timeouts, deadlines). */
    void tick(ActiveRuns runs, Outbox out);
}
