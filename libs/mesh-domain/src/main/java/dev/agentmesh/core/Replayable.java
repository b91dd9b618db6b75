package dev.agentmesh.core;

import java.util.List;
import java.util.function.Consumer;

/**
 * A run's input as a stream that can be read more than once (a stage that fits on one pass and transforms on the
 * next), without ever holding it whole. Each pass sees the same records in the same order.
 */
@FunctionalInterface
public interface Replayable<T> {

    /** Hands every record to {@code each}, in order; returns how many there were. */
    long forEach(Consumer<? super T> each);

    static <T> Replayable<T> of(List<T> records) {
        return each -> {
            records.forEach(each);
            return records.size();
        };
    }
}
