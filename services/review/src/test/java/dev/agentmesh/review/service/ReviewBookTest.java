package dev.agentmesh.review.service;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.data.DataRow;
import dev.agentmesh.topics.Topics;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The review fold, without Kafka: items, actions applied once and in any arrival order, what a payload edit may be. */
class ReviewBookTest {

    static final Instant T = Instant.parse("2026-11-23T03:00:00Z");

    static ReviewBook.Item deadLetter(String id, Instant at) {
        return new ReviewBook.Item(id, ReviewBook.Kind.DEAD_LETTER, ReviewBook.Status.OPEN, "age: 'abc' is not an integer",
                "run-1", "row-validator", "run-1", "csv:/data/x.csv", "-1", "4", 0, 4, Map.of(), "DataRow", "{}", null, at, List.of());
    }

    static ReviewBook.Action action(String id, String kind, String actor) {
        return new ReviewBook.Action(id, kind, actor, "because", null, false, T);
    }

    @Test
    void actionsApplyOnceAndMayArriveBeforeTheirItem() {
        ReviewBook book = new ReviewBook();
        book.apply("dlq-0-4", action("a1", "ESCALATE", "bob"));
        assertTrue(book.item("dlq-0-4").isEmpty());
        book.deadLetter(deadLetter("dlq-0-4", T));
        book.settlePending();
        assertEquals(ReviewBook.Status.ESCALATED, book.item("dlq-0-4").orElseThrow().status());
        book.apply("dlq-0-4", action("a2", "REDRIVE", "alice"));
        book.apply("dlq-0-4", action("a2", "REDRIVE", "alice"));
        ReviewBook.Item item = book.item("dlq-0-4").orElseThrow();
        assertEquals(ReviewBook.Status.REDRIVEN, item.status());
        assertEquals(List.of("bob", "alice"), item.history().stream().map(ReviewBook.Action::actor).toList(), "each action once");
    }

    @Test
    void aReturnedRunIsOneItemDecidedByThePrincipal() {
        ReviewBook book = new ReviewBook();
        book.returned("run-9", "risk-fairness blocks", Map.of("risk-fairness", "BLOCK: PSI amount 1.4"), T);
        book.returned("run-9", "returned again", Map.of(), T.plusSeconds(1));
        assertEquals(1, book.items().size());
        assertEquals("risk-fairness blocks", book.item(ReviewBook.runItemId("run-9")).orElseThrow().reason());
        book.principalDecided("run-9", "APPROVE", "alice", "accepted the shift", "evt-1", T);
        assertEquals(ReviewBook.Status.APPROVED, book.item(ReviewBook.runItemId("run-9")).orElseThrow().status());
    }

    @Test
    void openItemsComeFirstEscalatedBeforeOpenThenNewest() {
        ReviewBook book = new ReviewBook();
        book.deadLetter(deadLetter("old", T));
        book.deadLetter(deadLetter("new", T.plusSeconds(10)));
        book.deadLetter(deadLetter("done", T.plusSeconds(20)));
        book.deadLetter(deadLetter("hot", T.minusSeconds(10)));
        book.apply("done", action("x", "DISCARD", "bob"));
        book.apply("hot", action("y", "ESCALATE", "bob"));
        assertEquals(List.of("hot", "new", "old", "done"), book.items().stream().map(ReviewBook.Item::id).toList());
    }

    @Test
    void anEditIsParsedAgainstTheSchemaAndRoundTrips() {
        DataRow row = new DataRow(new Envelopes("row-validator", "t").origin("run-1", "g"), 4L, Map.of("age", "abc"));
        String json = Payloads.avroJson(row);
        assertEquals(row, Payloads.fromJson(json, Topics.ROWS_VALIDATED));
        DataRow fixed = (DataRow) Payloads.fromJson(json.replace("\"abc\"", "\"35\""), Topics.ROWS_VALIDATED);
        assertEquals("35", fixed.getValues().get("age"));
        assertEquals(row.getEnvelope().getEventId(), fixed.getEnvelope().getEventId());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Payloads.fromJson("{\"not\": \"a row\"}", Topics.ROWS_VALIDATED));
        assertTrue(bad.getMessage().contains("DataRow"), bad.getMessage());
        assertEquals(Topics.ROWS_VALIDATED, Payloads.typeOf("csv:/data/x.csv").orElseThrow());
        assertEquals(Topics.RUN_EVENTS, Payloads.typeOf(Topics.RUN_EVENTS.name()).orElseThrow());
        assertTrue(Payloads.typeOf(Topics.DEAD_LETTER.name()).isEmpty(), "raw bytes have no schema");
    }

    @Test
    void aStalledRunIsAnOpenItemUntilTheRunMakesProgressAfterIt() {
        ReviewBook book = new ReviewBook();
        book.stalled("run-9", "feature-extraction", "no progress for PT30S", "e-stall-1", T);
        String id = ReviewBook.stallItemId("run-9", "e-stall-1");
        ReviewBook.Item item = book.item(id).orElseThrow();
        assertEquals(ReviewBook.Kind.STALLED_RUN, item.kind());
        assertTrue(item.open() && item.stalled());
        book.progressed("run-9", "e-old", "feature-extractor", T.minusSeconds(5));
        assertEquals(ReviewBook.Status.OPEN, book.item(id).orElseThrow().status(), "an event from before the flag resolves nothing");
        book.progressed("run-8", "e-other", "feature-extractor", T.plusSeconds(5));
        assertEquals(ReviewBook.Status.OPEN, book.item(id).orElseThrow().status(), "another run's progress resolves nothing");
        book.progressed("run-9", "e-new", "feature-extractor", T.plusSeconds(5));
        assertEquals(ReviewBook.Status.RESUMED, book.item(id).orElseThrow().status());
        assertEquals("feature-extractor", book.item(id).orElseThrow().history().get(0).actor());
    }
}
