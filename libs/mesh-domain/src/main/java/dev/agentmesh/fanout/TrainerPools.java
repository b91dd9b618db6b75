package dev.agentmesh.fanout;

import java.util.Objects;
import java.util.Optional;

/**
 * Trainer pools by resource class. The default pool (no class) is the consumer group {@value #DEFAULT_GROUP}; the
 * pool of class {@code gpu} is the group {@code trainer-gpu}. Every pool reads every cell task and trains only the
 * cells of its own class, so a class's cells go only to trainers with that profile.
 */
public final class TrainerPools {

    public static final String DEFAULT_GROUP = "trainer";

    private TrainerPools() {
    }

    /** The consumer group of the pool of {@code resourceClass} (empty: the default pool). */
    public static String group(Optional<String> resourceClass) {
        return resourceClass.map(c -> DEFAULT_GROUP + "-" + c).orElse(DEFAULT_GROUP);
    }

    /** Whether a trainer of {@code ownClass} trains a cell that names {@code cellClass} (null: the default pool). */
    public static boolean takes(Optional<String> ownClass, String cellClass) {
        return Objects.equals(ownClass.orElse(null), cellClass == null || cellClass.isBlank() ? null : cellClass);
    }

    /**
     * Fails a trainer whose consumer group is not its class's: in another class's group it would take that pool's
     * tasks and skip them, and they would never be trained.
     */
    public static void check(Optional<String> ownClass, String group) {
        String expected = group(ownClass);
        if (!expected.equals(group)) {
            throw new IllegalStateException("a trainer of resource class " + ownClass.orElse("(default)")
                    + " must consume cell tasks in group '" + expected + "', not '" + group
                    + "' (set mp.messaging.incoming.cell-tasks.group.id)");
        }
    }
}
