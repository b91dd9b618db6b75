package dev.agentmesh.review.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Review items folded from the log: every dead-letter record, every run the gate returned to its principal, and every
 * action people took on them. Nothing here is kept anywhere but in the topics it is folded from.
 */
public final class ReviewBook {

    public enum Kind { DEAD_LETTER, RETURNED_RUN, STALLED_RUN }

    public enum Status { OPEN, REDRIVEN, DISCARDED, ESCALATED, APPROVED, REJECTED, RESUMED }

    /** One thing a person did, as recorded on the review-actions topic. */
    public record Action(String actionId, String action, String actor, String reason, String redrivenTo, boolean edited,
                         Instant at) {
    }

    /**
     * A review item. For a dead letter: where it died (topic, partition, offset in the dead-letter topic and the
     * original ones from its headers), the headers, the payload decoded to Avro JSON or, when it cannot be decoded,
     * its raw bytes. For a returned run: the gate's reason and every position.
     */
    public record Item(String id, Kind kind, Status status, String reason, String runId, String agent, String key,
                       String originalTopic, String originalPartition, String originalOffset, int partition, long offset,
                       Map<String, String> headers, String payloadType, String payloadJson, String rawBase64,
                       Instant at, List<Action> history) {

        public boolean deadLetter() {
            return kind == Kind.DEAD_LETTER;
        }

        public boolean stalled() {
            return kind == Kind.STALLED_RUN;
        }

        public boolean decoded() {
            return payloadJson != null;
        }

        public boolean open() {
            return status == Status.OPEN || status == Status.ESCALATED;
        }

        /** The item with {@code mask} applied to its reason and to every header value. */
        public Item withReasonsMasked(UnaryOperator<String> mask) {
            Map<String, String> masked = new LinkedHashMap<>();
            headers.forEach((k, v) -> masked.put(k, mask.apply(v)));
            return new Item(id, kind, status, mask.apply(reason), runId, agent, key, originalTopic, originalPartition,
                    originalOffset, partition, offset, masked, payloadType, payloadJson, rawBase64, at, history);
        }

        public Item withPayloadJson(String json) {
            return new Item(id, kind, status, reason, runId, agent, key, originalTopic, originalPartition, originalOffset,
                    partition, offset, headers, payloadType, json, rawBase64, at, history);
        }
    }

    private final Map<String, Item> items = new ConcurrentHashMap<>();
    private final Map<String, String> contracts = new ConcurrentHashMap<>();
    private final Map<String, String> actionsSeen = new ConcurrentHashMap<>();
    /** Per run, its stall items not yet resolved by progress. */
    private final Map<String, Set<String>> stalls = new ConcurrentHashMap<>();

    public static String deadLetterId(int partition, long offset) {
        return "dlq-" + partition + "-" + offset;
    }

    public static String runItemId(String runId) {
        return "run-" + runId;
    }

    public void deadLetter(Item item) {
        items.merge(item.id(), item, (known, fresh) -> known);
    }

    public void runContract(String runId, String contract) {
        contracts.putIfAbsent(runId, contract);
    }

    public Optional<String> contractOf(String runId) {
        return Optional.ofNullable(contracts.get(runId));
    }

    /** The gate returned the run: one item per run, whatever the number of returns. */
    public void returned(String runId, String reason, Map<String, String> positions, Instant at) {
        items.putIfAbsent(runItemId(runId), new Item(runItemId(runId), Kind.RETURNED_RUN, Status.OPEN, reason, runId,
                "coordinator", runId, null, null, null, -1, -1, Collections.unmodifiableMap(new LinkedHashMap<>(positions)),
                null, null, null, at, List.of()));
    }

    public static String stallItemId(String runId, String stallEventId) {
        return "stall-" + runId + "-" + stallEventId.substring(0, Math.min(8, stallEventId.length()));
    }

    /** The run was flagged as stalled: one item per flag, for a person to resume the run. */
    public void stalled(String runId, String stage, String reason, String eventId, Instant at) {
        String id = stallItemId(runId, eventId);
        if (items.putIfAbsent(id, new Item(id, Kind.STALLED_RUN, Status.OPEN, reason, runId, "run-state", runId, null, null,
                null, -1, -1, Map.of("stage", stage), null, null, null, at, List.of())) == null) {
            stalls.computeIfAbsent(runId, r -> ConcurrentHashMap.newKeySet()).add(id);
        }
    }

    /** The run made progress after it was flagged: its open stall items are resolved (by the event that showed it). */
    public void progressed(String runId, String eventId, String agent, Instant at) {
        Set<String> flagged = stalls.get(runId);
        if (flagged == null) {
            return;
        }
        for (String id : List.copyOf(flagged)) {
            Item item = items.get(id);
            if (item != null && item.open() && at.isAfter(item.at())) {
                apply(id, new Action("progress-" + id, "RESUME", agent, "the run made progress", null, false, at));
                flagged.remove(id);
            }
        }
    }

    /** The principal's decision reached the log (from this service, meshctl or anywhere): the run item is decided. */
    public void principalDecided(String runId, String decision, String actor, String reason, String eventId, Instant at) {
        apply(runItemId(runId), new Action(eventId, decision, actor, reason, null, false, at));
    }

    /** Applies an action once (by action id); an action on an item not seen yet is kept until it appears. */
    public void apply(String itemId, Action action) {
        if (actionsSeen.putIfAbsent(action.actionId(), itemId) != null) {
            return;
        }
        items.computeIfPresent(itemId, (id, item) -> {
            List<Action> history = new ArrayList<>(item.history());
            history.add(action);
            return new Item(item.id(), item.kind(), statusAfter(item.status(), action.action()), item.reason(), item.runId(),
                    item.agent(), item.key(), item.originalTopic(), item.originalPartition(), item.originalOffset(), item.partition(),
                    item.offset(), item.headers(), item.payloadType(), item.payloadJson(), item.rawBase64(), item.at(),
                    List.copyOf(history));
        });
        if (!items.containsKey(itemId)) {
            actionsSeen.remove(action.actionId());
            pending.computeIfAbsent(itemId, k -> new ArrayList<>()).add(action);
        }
    }

    private final Map<String, List<Action>> pending = new ConcurrentHashMap<>();

    /** Actions that arrived before their item (topics are read concurrently) are applied when it appears. */
    public void settlePending() {
        for (String itemId : List.copyOf(pending.keySet())) {
            if (items.containsKey(itemId)) {
                pending.remove(itemId).forEach(a -> apply(itemId, a));
            }
        }
    }

    static Status statusAfter(Status current, String action) {
        return switch (action) {
            case "REDRIVE" -> Status.REDRIVEN;
            case "DISCARD" -> Status.DISCARDED;
            case "ESCALATE" -> current == Status.OPEN ? Status.ESCALATED : current;
            case "APPROVE" -> Status.APPROVED;
            case "REJECT" -> Status.REJECTED;
            case "RESUME" -> Status.RESUMED;
            default -> current;
        };
    }

    public Optional<Item> item(String id) {
        return Optional.ofNullable(items.get(id));
    }

    /** Open items first (escalated before open), then newest first. */
    public List<Item> items() {
        List<Item> all = new ArrayList<>(items.values());
        all.sort(Comparator.comparing((Item i) -> !i.open()).thenComparing(i -> i.status() != Status.ESCALATED)
                .thenComparing(Item::at, Comparator.nullsLast(Comparator.reverseOrder())).thenComparing(Item::id));
        return all;
    }
}
