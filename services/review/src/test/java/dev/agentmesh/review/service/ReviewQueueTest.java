package dev.agentmesh.review.service;

import dev.agentmesh.core.MeshHeaders;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The queue people work: filtered, and grouped by run and reason. */
class ReviewQueueTest {

    static final Instant T = Instant.parse("2026-11-23T03:00:00Z");

    static ReviewBook.Item item(String id, String run, String reason, ReviewBook.Status status, String agent, String topic) {
        return new ReviewBook.Item(id, ReviewBook.Kind.DEAD_LETTER, status, reason, run, agent, run, topic, "0", "1", 0, 1,
                Map.of(), "DataRow", "{}", null, T, List.of());
    }

    static final List<ReviewBook.Item> ITEMS = List.of(
            item("d1", "run-1", "age: 'abc' is not an integer", ReviewBook.Status.OPEN, "row-validator", "mesh.rows.raw"),
            item("d2", "run-1", "age: 'abc' is not an integer", ReviewBook.Status.OPEN, "row-validator", "mesh.rows.raw"),
            item("d3", "run-1", "age: 'abc' is not an integer", ReviewBook.Status.DISCARDED, "row-validator", "mesh.rows.raw"),
            item("d4", "run-1", "amount: -3 is below the minimum 0", ReviewBook.Status.OPEN, "row-validator", "mesh.rows.raw"),
            item("d5", "run-2", "age: 'abc' is not an integer", ReviewBook.Status.ESCALATED, "row-validator", "mesh.rows.raw"),
            item("d6", null, "magic byte missing", ReviewBook.Status.OPEN, "publisher", "mesh.run-events"));

    static List<String> ids(ReviewQueue.Group g) {
        return g.items().stream().map(ReviewBook.Item::id).toList();
    }

    @Test
    void openItemsGroupedByRunAndReasonLargestFirst() {
        List<ReviewQueue.Group> groups = ReviewQueue.groups(ITEMS, new ReviewQueue.Filter(null, null, null, null));
        assertEquals(List.of(List.of("d1", "d2"), List.of("d6"), List.of("d4"), List.of("d5")),
                groups.stream().map(ReviewQueueTest::ids).toList(), "decided items leave the open view");
        assertEquals("run-1", groups.get(0).runId());
        assertEquals(2, groups.get(0).open());
    }

    @Test
    void rejectedRowsGroupByTheirViolationsNotByTheRowTheirReasonNames() {
        List<ReviewBook.Item> rows = List.of(3, 5, 9).stream().map(row -> new ReviewBook.Item("r" + row,
                ReviewBook.Kind.DEAD_LETTER, ReviewBook.Status.OPEN, "row " + row + " violates the data contract: age: 'abc' is not an integer",
                "run-3", "row-validator", "run-3", "csv:x", "-1", String.valueOf(row), 0, row,
                Map.of(MeshHeaders.ROW_REJECTIONS, "age: 'abc' is not an integer"), "DataRow", "{}", null, T, List.of())).toList();
        List<ReviewQueue.Group> groups = ReviewQueue.groups(rows, new ReviewQueue.Filter(null, null, null, "run-3"));
        assertEquals(1, groups.size());
        assertEquals("age: 'abc' is not an integer", groups.get(0).reason());
        assertEquals(List.of("r3", "r5", "r9"), ids(groups.get(0)));
    }

    @Test
    void filtersByStatusAgentTopicAndRun() {
        assertEquals(List.of(List.of("d1", "d2", "d3"), List.of("d4")), ReviewQueue.groups(ITEMS,
                new ReviewQueue.Filter("all", "row-validator", null, "run-1")).stream().map(ReviewQueueTest::ids).toList());
        assertEquals(List.of(List.of("d3")), ReviewQueue.groups(ITEMS,
                new ReviewQueue.Filter("discarded", null, null, null)).stream().map(ReviewQueueTest::ids).toList());
        assertEquals(List.of(List.of("d6")), ReviewQueue.groups(ITEMS,
                new ReviewQueue.Filter("open", null, "mesh.run-events", null)).stream().map(ReviewQueueTest::ids).toList());
        assertEquals(List.of("publisher", "row-validator"), List.copyOf(ReviewQueue.values(ITEMS, ReviewBook.Item::agent)));
    }
}
