package dev.agentmesh.review.service;

import dev.agentmesh.core.MeshHeaders;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The review queue as people work it: items filtered by status, agent, topic and run, and grouped by run and reason,
 * so that 45 dead letters of one run with four reasons are four rows, each acted on at once after a fix.
 */
public final class ReviewQueue {

    /** Which items to show: {@code status} is {@code open} (the default), {@code all}, or one status by name. */
    public record Filter(String status, String agent, String topic, String run) {
        public static final String OPEN = "open";
        public static final String ALL = "all";

        public Filter {
            status = blank(status) ? OPEN : status;
            agent = blank(agent) ? null : agent;
            topic = blank(topic) ? null : topic;
            run = blank(run) ? null : run;
        }

        boolean accepts(ReviewBook.Item item) {
            boolean byStatus = switch (status) {
                case OPEN -> item.open();
                case ALL -> true;
                default -> item.status().name().equalsIgnoreCase(status);
            };
            return byStatus && (agent == null || agent.equals(item.agent()))
                    && (topic == null || topic.equals(item.originalTopic()))
                    && (run == null || run.equals(item.runId()));
        }

        private static boolean blank(String s) {
            return s == null || s.isBlank();
        }
    }

    /** The items of one run with one reason. */
    public record Group(String runId, String reason, List<ReviewBook.Item> items) {
        public long open() {
            return items.stream().filter(ReviewBook.Item::open).count();
        }

        public int size() {
            return items.size();
        }

        /** Whether every item is a dead letter, which can be re-driven as a group. */
        public boolean deadLetters() {
            return items.stream().allMatch(ReviewBook.Item::deadLetter);
        }
    }

    /**
     * What an item failed on, as one reason for all its kind: a rejected row's contract violations (its reason names
     * the row as well), otherwise its reason.
     */
    public static String reasonOf(ReviewBook.Item item) {
        String rejections = item.headers().get(MeshHeaders.ROW_REJECTIONS);
        return rejections != null ? rejections : Objects.requireNonNullElse(item.reason(), "");
    }

    /** The groups of the items {@code filter} accepts: largest first, then by run and reason. */
    public static List<Group> groups(List<ReviewBook.Item> items, Filter filter) {
        Map<List<String>, List<ReviewBook.Item>> byRunAndReason = new LinkedHashMap<>();
        items.stream().filter(filter::accepts).forEach(i -> byRunAndReason
                .computeIfAbsent(List.of(Objects.requireNonNullElse(i.runId(), ""), reasonOf(i)), k -> new ArrayList<>()).add(i));
        return byRunAndReason.entrySet().stream()
                .map(e -> new Group(e.getKey().get(0).isEmpty() ? null : e.getKey().get(0), e.getKey().get(1), List.copyOf(e.getValue())))
                .sorted(Comparator.comparingInt(Group::size).reversed()
                        .thenComparing(g -> Objects.requireNonNullElse(g.runId(), ""))
                        .thenComparing(Group::reason))
                .toList();
    }

    /** The values one field takes over {@code items}, for a filter's choices. */
    public static SortedSet<String> values(List<ReviewBook.Item> items, Function<ReviewBook.Item, String> field) {
        SortedSet<String> values = new TreeSet<>();
        items.stream().map(field).filter(Objects::nonNull).forEach(values::add);
        return values;
    }

    private ReviewQueue() {
    }
}
