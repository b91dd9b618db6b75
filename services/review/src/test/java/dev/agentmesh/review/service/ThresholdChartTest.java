package dev.agentmesh.review.service;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class ThresholdChartTest {

    @Test
    void psiPerFeatureIsDrawnAgainstItsConcernAndBlockThresholds() {
        ThresholdChart chart = ThresholdChart.psi(Map.of("psi.age", 0.02, "psi.duration", 0.15, "psi.credit_amount", 0.30,
                "psi-threshold.concern", 0.10, "psi-threshold.block", 0.25, "gap.tpr.age", 0.2)).orElseThrow();
        assertEquals(List.of("age", "credit_amount", "duration"), chart.bars().stream().map(ThresholdChart.Bar::label).toList());
        assertEquals(List.of(false, true, true), chart.bars().stream().map(ThresholdChart.Bar::past).toList(),
                "past the concern threshold");
        assertEquals(2, chart.marks().size());
        ThresholdChart.Mark concern = chart.marks().get(0);
        ThresholdChart.Mark block = chart.marks().get(1);
        assertEquals("concern 0.10", concern.label());
        assertEquals(2.5, (block.x() - chart.labelWidth()) / (concern.x() - chart.labelWidth()), 1e-9, "marks to scale");
        ThresholdChart.Bar duration = chart.bars().get(2);
        assertTrue(chart.labelWidth() + duration.width() > concern.x() && chart.labelWidth() + duration.width() < block.x(),
                "a PSI of 0.15 ends between the marks");
        assertTrue(chart.labelWidth() + chart.bars().get(1).width() <= chart.width(), "the largest bar fits");
    }

    @Test
    void noPsiOrNoThresholdsNoChart() {
        assertEquals(Optional.empty(), ThresholdChart.psi(Map.of("psi.age", 0.02)));
        assertEquals(Optional.empty(), ThresholdChart.psi(Map.of("psi-threshold.concern", 0.1, "psi-threshold.block", 0.25)));
    }

    @Test
    void theMonthlyCostIsDrawnAgainstTheBudget() {
        ThresholdChart chart = ThresholdChart.costAgainstBudget(Map.of("cost-per-month", 0.19, "budget-per-month", 25.0))
                .orElseThrow();
        assertEquals(1, chart.bars().size());
        assertFalse(chart.bars().get(0).past(), "well within the budget");
        assertEquals("budget 25.00", chart.marks().get(0).label());
        assertTrue(chart.bars().get(0).width() < chart.marks().get(0).x() - chart.labelWidth());
        assertTrue(ThresholdChart.costAgainstBudget(Map.of("cost-per-month", 30.0, "budget-per-month", 25.0))
                .orElseThrow().bars().get(0).past(), "over the budget");
        assertEquals(Optional.empty(), ThresholdChart.costAgainstBudget(Map.of("cost-per-month", 1.0)));
    }
}
