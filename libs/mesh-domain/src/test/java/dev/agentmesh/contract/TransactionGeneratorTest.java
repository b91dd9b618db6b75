package dev.agentmesh.contract;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TransactionGeneratorTest {

    final RowValidator validator = new RowValidator(DataContract.load("transactions"));

    @Test
    void theSameSpecGivesTheSameRowsAndCleanRowsSatisfyTheContract() {
        var spec = TransactionGenerator.Spec.parse("rows=2000,seed=3,bad=0,drift=0");
        var a = TransactionGenerator.generate(spec);
        assertEquals(a.rows(), TransactionGenerator.generate(spec).rows());
        assertEquals(List.of(), validator.headerProblems(new HashSet<>(a.header())));
        assertTrue(a.rows().stream().allMatch(r -> validator.validate(r).isEmpty()));
        long fraud = a.rows().stream().filter(r -> r.get("is_fraud").equals("yes")).count();
        assertTrue(fraud > 20 && fraud < 1000, "both classes present: " + fraud);
    }

    @Test
    void plantedBadRowsAreRejectedAtTheRequestedRate() {
        var rows = TransactionGenerator.generate(TransactionGenerator.Spec.parse("rows=10000,seed=5,bad=0.05")).rows();
        long bad = rows.stream().filter(r -> !validator.validate(r).isEmpty()).count();
        assertEquals(500, bad, 80);
    }

    @Test
    void driftShiftsAmountsAndChannels() {
        var plain = TransactionGenerator.generate(TransactionGenerator.Spec.parse("rows=5000,seed=9,drift=0")).rows();
        var drifted = TransactionGenerator.generate(TransactionGenerator.Spec.parse("rows=5000,seed=9,drift=1")).rows();
        double plainMean = plain.stream().mapToDouble(r -> Double.parseDouble(r.get("amount"))).average().orElseThrow();
        double driftedMean = drifted.stream().mapToDouble(r -> Double.parseDouble(r.get("amount"))).average().orElseThrow();
        assertTrue(driftedMean > 3 * plainMean, plainMean + " vs " + driftedMean);
        assertTrue(drifted.stream().filter(r -> r.get("channel").equals("web")).count()
                > 2 * plain.stream().filter(r -> r.get("channel").equals("web")).count());
    }

    @Test
    void badSpecsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> TransactionGenerator.Spec.parse("rows=10,bad=2"));
        assertThrows(IllegalArgumentException.class, () -> TransactionGenerator.Spec.parse("rows"));
    }
}
