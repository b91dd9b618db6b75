package dev.agentmesh.review.service;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SubgroupChartTest {

    @Test
    void eachAttributeWithTwoOrMoreSubgroupsGetsOneBarPerSubgroupScaledToItsRate() {
        List<SubgroupChart> charts = SubgroupChart.of(Map.of(
                "group.age=25-40.positive-rate", 0.78,
                "group.age=<25.positive-rate", 0.39,
                "group.age=25-40.n", 164.0,
                "group.foreign_worker=yes.positive-rate", 0.70,
                "gap.positive-rate.age", 0.19,
                "group.single=only.positive-rate", 0.5));
        assertEquals(List.of("age"), charts.stream().map(SubgroupChart::attribute).toList(),
                "one chart per attribute with two or more subgroups; counts and gaps are not rates");
        SubgroupChart age = charts.get(0);
        assertEquals(List.of("25-40", "<25"), age.bars().stream().map(SubgroupChart.Bar::label).toList());
        assertEquals(2 * age.bars().get(1).width(), age.bars().get(0).width(), 1e-9, "bar length is proportional to the rate");
        assertEquals("0.780", age.bars().get(0).value());
        assertTrue(age.bars().get(1).y() > age.bars().get(0).y());
        assertTrue(age.labelWidth() + age.bars().get(0).width() < age.width());
    }

    @Test
    void noSubgroupsNoChart() {
        assertEquals(List.of(), SubgroupChart.of(Map.of("budget-share", 0.01)));
    }
}
