package dev.agentmesh.replay;

import java.time.format.DateTimeParseException;
import java.util.TreeSet;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentmesh.core.LoggedRecord;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import dev.agentmesh.runstate.RunStateReducer;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Rebuilds a run from its logged events with run-state's own reducer, step by step, and says what each event
 * changed. The hash of a state is the SHA-256 of its canonical JSON, the same bytes run-state stores and serves.
 */
public final class RunReplay {

    /** One event of the timeline: where it was in the log, the event (null if undecodable), and what it changed. */
    public record Step(LoggedRecord record, RunEvent event, String undecodable, List<String> changes) {
    }

    /** The rebuilt state and the steps that led to it. */
    public record Result(RunState state, List<Step> steps) {
    }

    /** Where to stop: after an offset of the run's partition, an instant of the events' time, or an event id. */
    public record Until(Long offset, Instant time, String eventId) {
        public static Until parse(String text) {
            if (text == null) {
                return null;
            }
            if (text.chars().allMatch(Character::isDigit)) {
                return new Until(Long.parseLong(text), null, null);
            }
            try {
                return new Until(null, Instant.parse(text), null);
            } catch (DateTimeParseException notATime) {
                return new Until(null, null, text);
            }
        }

        boolean past(LoggedRecord record, RunEvent event) {
            return (offset != null && record.offset() > offset)
                    || (time != null && event != null && event.getEnvelope().getOccurredAt().isAfter(time));
        }
    }

    /** Fields that change on every event and would drown the timeline. */
    private static final Set<String> QUIET = Set.of("eventIds", "lastEventAt", "computeMs", "costByGrant");

    private RunReplay() {
    }

    public static Result replay(List<LoggedRecord> records, Function<byte[], RunEvent> decode, Until until) {
        RunState state = null;
        List<Step> steps = new ArrayList<>();
        for (LoggedRecord record : records) {
            RunEvent event;
            try {
                event = decode.apply(record.value());
            } catch (RuntimeException e) {
                if (until == null || until.offset() == null || record.offset() <= until.offset()) {
                    steps.add(new Step(record, null, e.getMessage(), List.of()));
                }
                continue;
            }
            if (until != null && until.past(record, event)) {
                break;
            }
            RunState after = RunStateReducer.apply(state, event);
            steps.add(new Step(record, event, null, changes(state, after)));
            state = after;
            if (until != null && event.getEnvelope().getEventId().equals(until.eventId())) {
                break;
            }
        }
        return new Result(state, steps);
    }

    public static String sha256(RunState state) {
        return sha256(RunStateJson.toBytes(state));
    }

    public static String sha256(byte[] canonical) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What differs between two states, as {@code path: before -> after}, leaving out the fields that always change. */
    public static List<String> changes(RunState before, RunState after) {
        JsonNode a = before == null ? RunStateJson.MAPPER.createObjectNode() : RunStateJson.MAPPER.valueToTree(before);
        JsonNode b = RunStateJson.MAPPER.valueToTree(after);
        List<String> out = new ArrayList<>();
        diff("", a, b, out, true);
        return out;
    }

    public static List<String> diff(JsonNode a, JsonNode b) {
        List<String> out = new ArrayList<>();
        diff("", a, b, out, false);
        return out;
    }

    private static void diff(String path, JsonNode a, JsonNode b, List<String> out, boolean quiet) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            Set<String> names = new TreeSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                if (quiet && path.isEmpty() && QUIET.contains(name)) {
                    continue;
                }
                diff(path.isEmpty() ? name : path + "." + name, a.get(name), b.get(name), out, quiet);
            }
            return;
        }
        String left = a == null || a.isNull() ? "-" : a.isValueNode() ? a.asText() : a.toString();
        String right = b == null || b.isNull() ? "-" : b.isValueNode() ? b.asText() : b.toString();
        if (!left.equals(right)) {
            out.add(path + ": " + abbreviate(left) + " -> " + abbreviate(right));
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    /** Undecodable steps and failed stages or cells, with their reasons. */
    public static List<String> failures(Result result) {
        List<String> out = new ArrayList<>();
        for (Step step : result.steps()) {
            if (step.undecodable() != null) {
                out.add("offset " + step.record().offset() + ": undecodable (" + step.undecodable() + ")");
            }
        }
        if (result.state() != null) {
            result.state().stages().values().stream().filter(s -> s.reason() != null)
                    .forEach(s -> out.add("stage " + s.stage() + " " + s.status() + ": " + s.reason()));
            if (result.state().sweep() != null) {
                result.state().sweep().cells().values().stream().filter(c -> c.reason() != null)
                        .forEach(c -> out.add("cell " + c.cellId() + " " + c.status() + " (attempt " + c.attempt() + "): " + c.reason()));
            }
        }
        return out;
    }

}
