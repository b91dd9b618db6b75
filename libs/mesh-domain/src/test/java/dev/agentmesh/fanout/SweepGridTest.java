package dev.agentmesh.fanout;

import dev.agentmesh.sweep.CellConfig;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

class SweepGridTest {

    static SweepGrid yaml(String text) {
        return SweepGrid.read(new ByteArrayInputStream(text.getBytes()));
    }

    @Test
    void theDefaultGridIsThreeArchitecturesByFourRatesByTwoBatchSizes() {
        SweepGrid grid = SweepGrid.load("default");
        List<CellConfig> cells = grid.cells(null);
        assertEquals(24, cells.size());
        assertEquals(24, cells.stream().map(CellConfig::getCellId).distinct().count());
        assertEquals(3, cells.stream().map(CellConfig::getArchitecture).distinct().count());
        assertEquals(List.of(16, 64), cells.stream().map(CellConfig::getBatchSize).distinct().sorted().toList());
        assertEquals("logistic-lr0.005-b16", cells.get(0).getCellId());
        assertEquals(16, cells.stream().filter(c -> c.getKind().equals(SweepGrid.FACTORIZATION_MACHINE)).count(), "fm4 and fm12");
        assertTrue(cells.stream().allMatch(c -> c.getSeed() == 42L));
        assertTrue(grid.cells(7L).stream().allMatch(c -> c.getSeed() == 7L), "the run's seed wins");
        assertEquals(FanOutPolicy.Mode.GATHER, grid.policy().mode());
        assertEquals(Duration.ofSeconds(60), grid.policy().cellTimeout());
    }

    @Test
    void thePolicySurvivesItsRoundTripThroughThePlannedEvent() {
        FanOutPolicy policy = yaml("name: r\narchitectures: [{name: a, kind: logistic, epochs: 9}]\nlearning_rates: [0.1]\n"
                + "batch_sizes: [8]\nepochs: 3\nseed: 1\npolicy: {max_concurrency: 2, cell_timeout: PT5S, max_attempts: 3,"
                + " min_successes: 1, on_partial: fail, mode: race, target_validation_loss: 0.4, cell_cost_estimate_ms: 10}").policy();
        assertEquals(policy.toMap(), FanOutPolicy.fromMap(policy.toMap()).toMap());
        assertEquals(FanOutPolicy.Mode.RACE, FanOutPolicy.fromMap(policy.toMap()).mode());
        assertEquals(0.4, FanOutPolicy.fromMap(policy.toMap()).targetValidationLoss());
        assertEquals(Duration.ofSeconds(25), FanOutPolicy.fromMap(policy.toMap()).queueTimeoutOrDefault());
    }

    @Test
    void anArchitectureMayOverrideTheEpochs() {
        SweepGrid grid = yaml("name: r\narchitectures: [{name: a, kind: logistic, epochs: 9}, {name: b, kind: logistic}]\n"
                + "learning_rates: [0.1]\nbatch_sizes: [8]\nepochs: 3\nseed: 1\npolicy: {max_concurrency: 2, cell_timeout: PT5S,"
                + " max_attempts: 1, min_successes: 1, on_partial: fail, mode: gather, cell_cost_estimate_ms: 10}");
        assertEquals(List.of(9, 3), grid.cells(null).stream().map(CellConfig::getEpochs).collect(Collectors.toList()));
    }

    @Test
    void invalidGridsAreRefusedWithTheReason() {
        String policy = "policy: {max_concurrency: 2, cell_timeout: PT5S, max_attempts: 1, min_successes: 1,"
                + " on_partial: fail, mode: gather, cell_cost_estimate_ms: 10}";
        String base = "name: r\nlearning_rates: [0.1]\nbatch_sizes: [8]\nepochs: 3\nseed: 1\n";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> yaml(base + "architectures: [{name: a, kind: forest}]\n" + policy))
                .getMessage().contains("kind must be logistic or factorization-machine"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> yaml(base
                + "architectures: [{name: a, kind: factorization-machine}]\n" + policy)).getMessage().contains("needs factors > 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> yaml(base + "architectures: [{name: a, kind: logistic}]\n"
                + policy.replace("min_successes: 1", "min_successes: 5"))).getMessage().contains("min_successes must be between 1 and"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> yaml(base + "architectures: [{name: a, kind: logistic}]\n"
                + policy.replace("mode: gather", "mode: race"))).getMessage().contains("race mode needs target_validation_loss"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SweepGrid.load("nope")).getMessage().contains("no sweep grid named 'nope'"));
    }

    @Test
    void aPipelineStartsWithTrainingAndGoesToEveryCell() {
        String base = "name: p\narchitectures: [{name: a, kind: logistic}]\nlearning_rates: [0.1, 0.2]\nbatch_sizes: [8]\n"
                + "epochs: 3\nseed: 1\npolicy: {max_concurrency: 2, cell_timeout: PT5S, max_attempts: 1, min_successes: 1,"
                + " on_partial: fail, mode: gather, cell_cost_estimate_ms: 10}\n";
        List<CellConfig> cells = yaml(base + "pipeline: [train, calibrate, evaluate]\n").cells(null);
        assertTrue(cells.stream().allMatch(c -> c.getSteps().equals(SweepGrid.STEPS)), cells::toString);
        assertTrue(yaml(base).cells(null).stream().allMatch(c -> c.getSteps().isEmpty()), "no pipeline: train only");
        assertTrue(yaml(base + "pipeline: [train]\n").cells(null).stream().allMatch(c -> c.getSteps().isEmpty()));
        for (String bad : List.of("[calibrate, train]", "[train, evaluate, calibrate]", "[train, train]", "[train, deploy]")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> yaml(base + "pipeline: " + bad + "\n"));
            assertTrue(e.getMessage().contains("pipeline"), e.getMessage());
        }
    }
}
