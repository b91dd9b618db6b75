package dev.agentmesh.service;

import io.quarkus.runtime.Quarkus;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * How a service's Streams app (run-state, the process managers) survives faults. A stream thread that dies (a broker
 * restarted under an open transaction, a fenced producer) is replaced: its tasks restart from their last commit, so
 * exactly-once holds. A thread that keeps dying ({@link #MAX_REPLACEMENTS} in {@link #WINDOW}) shuts the client down,
 * and a client in ERROR ends the process, so its supervisor ({@code meshctl demo}/{@code up}, Kubernetes) starts it
 * again instead of leaving a live process that does no work. Quarkus installs both on the app it creates.
 */
@ApplicationScoped
public class StreamsRecovery implements StreamsUncaughtExceptionHandler, KafkaStreams.StateListener {

    static final int MAX_REPLACEMENTS = 10;
    static final Duration WINDOW = Duration.ofMinutes(5);
    private static final Logger LOG = Logger.getLogger(StreamsRecovery.class);

    private final Deque<Long> replacements = new ArrayDeque<>();

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable exception) {
        long now = System.nanoTime();
        while (!replacements.isEmpty() && now - replacements.peekFirst() > WINDOW.toNanos()) {
            replacements.removeFirst();
        }
        if (replacements.size() >= MAX_REPLACEMENTS) {
            LOG.errorf(exception, "stream thread failed %d times within %s; shutting the Streams client down", MAX_REPLACEMENTS + 1, WINDOW);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        replacements.addLast(now);
        LOG.warnf(exception, "stream thread failed; replacing it (its tasks resume from their last commit)");
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    @Override
    public void onChange(KafkaStreams.State newState, KafkaStreams.State oldState) {
        if (newState == KafkaStreams.State.ERROR) {
            LOG.error("the Streams client stopped in ERROR; exiting so that the process is started again");
            Quarkus.asyncExit(70);
        }
    }
}
