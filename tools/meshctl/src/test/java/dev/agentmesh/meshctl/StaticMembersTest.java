package dev.agentmesh.meshctl;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StaticMembersTest {

    @Test
    void aDeadInstancesMembershipsAreItsOwnAndNotThoseOfAnInstanceWithTheSamePrefix() {
        assertTrue(StaticMembers.of("trainer-42", "trainer-42-cell-tasks"));
        assertTrue(StaticMembers.of("run-state-42", "run-state-42"));
        assertFalse(StaticMembers.of("trainer-42", "trainer-2-42-cell-tasks"));
        assertFalse(StaticMembers.of("trainer-4", "trainer-42-cell-tasks"));
    }

    @Test
    void onlyGroupsWithAnotherMemberLeftToTakeOverAreTouched() {
        Map<String, List<String>> members = Map.of(
                "trainer", List.of("trainer-42-cell-tasks", "trainer-2-42-cell-tasks"),
                "trainer-control", List.of("trainer-42-control"),
                "publisher", List.of("publisher-42-run-events"));
        assertEquals(Map.of("trainer", List.of("trainer-42-cell-tasks")), StaticMembers.toRemove(members, "trainer-42"));
        assertEquals(Map.of(), StaticMembers.toRemove(members, "publisher-42"), "alone in its group: left as it is");
    }
}
