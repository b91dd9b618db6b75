package dev.agentmesh.fanout;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class TrainerPoolsTest {

    @Test
    void eachPoolTrainsOnlyItsOwnClasssCellsInItsOwnGroup() {
        assertTrue(TrainerPools.takes(Optional.empty(), null));
        assertTrue(TrainerPools.takes(Optional.empty(), ""));
        assertFalse(TrainerPools.takes(Optional.empty(), "gpu"));
        assertTrue(TrainerPools.takes(Optional.of("gpu"), "gpu"));
        assertFalse(TrainerPools.takes(Optional.of("gpu"), null));
        assertEquals("trainer", TrainerPools.group(Optional.empty()));
        assertEquals("trainer-gpu", TrainerPools.group(Optional.of("gpu")));
    }

    @Test
    void aTrainerInAnotherClasssGroupRefusesToStart() {
        TrainerPools.check(Optional.of("gpu"), "trainer-gpu");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TrainerPools.check(Optional.of("gpu"), "trainer"));
        assertTrue(e.getMessage().contains("must consume cell tasks in group 'trainer-gpu'"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> TrainerPools.check(Optional.empty(), "trainer-gpu"));
    }

    @Test
    void aGridArchitectureNamesItsResourceClassAndItsCellsCarryIt() {
        SweepGrid grid = SweepGrid.read(new ByteArrayInputStream(("name: g\narchitectures: [{name: a, kind: logistic},"
                + " {name: b, kind: logistic, resource_class: gpu}]\nlearning_rates: [0.1]\nbatch_sizes: [16]\nepochs: 2\n"
                + "seed: 1\npolicy: {max_concurrency: 2, cell_timeout: PT10S, max_attempts: 1, min_successes: 1,"
                + " on_partial: fail, mode: gather, cell_cost_estimate_ms: 10}\n").getBytes(StandardCharsets.UTF_8)));
        assertNull(grid.cells(null).get(0).getResourceClass());
        assertEquals("gpu", grid.cells(null).get(1).getResourceClass());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> SweepGrid.read(new ByteArrayInputStream(
                ("name: g\narchitectures: [{name: b, kind: logistic, resource_class: 'GPU X'}]\nlearning_rates: [0.1]\n"
                        + "batch_sizes: [16]\nepochs: 2\nseed: 1\npolicy: {max_concurrency: 1, cell_timeout: PT10S,"
                        + " max_attempts: 1, min_successes: 1, on_partial: fail, mode: gather, cell_cost_estimate_ms: 10}\n")
                        .getBytes(StandardCharsets.UTF_8))));
        assertTrue(bad.getMessage().contains("resource_class must be a short lower-case name"), bad.getMessage());
    }
}
