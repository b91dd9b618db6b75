package dev.agentmesh.service;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stage whose effects go out in transactions must leave its group's offsets to those transactions alone. */
class StageSupportTest {

    static StageSupport stage(Optional<String> prefix, Optional<String> commitStrategy) {
        return new StageSupport(null, null, new AssignmentReadiness(true), "localhost:1", 1, Optional.of("stage"),
                prefix, Duration.ofMinutes(5), commitStrategy, new OutgoingMessages(false));
    }

    @Test
    void aTransactionalStageWithASecondOffsetCommitterDoesNotStart() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> stage(Optional.of("stage"), Optional.empty()));
        assertTrue(e.getMessage().contains("commit-strategy must be ignore"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> stage(Optional.of("stage"), Optional.of("throttled")));
    }

    @Test
    void aTransactionalStageThatLeavesItsOffsetsToItsTransactionsStarts() {
        assertDoesNotThrow(() -> stage(Optional.of("stage"), Optional.of("ignore")).close());
        assertDoesNotThrow(() -> stage(Optional.empty(), Optional.empty()).close());
    }
}
