package dev.agentmesh.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * W3C trace context for mesh events. A run is one trace: its trace id is derived from the run id, and each event's
 * span id from the event id, so every agent (including those that act on a timer, with no incoming event) lands in
 * the run's trace without plumbing, and a re-sent event carries the same context.
 */
public final class Traces {

    private Traces() {
    }

    public static String traceParent(String runId, String eventId) {
        return "00-" + traceId(runId) + "-" + hex(eventId, 8) + "-01";
    }

    /** The last run's trace id: stages stamp many events (one per row) of one run in a row. */
    private static volatile String[] lastTrace = {"", ""};

    public static String traceId(String runId) {
        String[] last = lastTrace;
        if (last[0].equals(runId)) {
            return last[1];
        }
        String id = hex(runId, 16);
        lastTrace = new String[]{runId, id};
        return id;
    }

    /** The trace id of a traceparent, or null when it is not one. */
    public static String traceIdOf(String traceParent) {
        if (traceParent == null) {
            return null;
        }
        String[] parts = traceParent.split("-");
        return parts.length == 4 && parts[1].length() == 32 ? parts[1] : null;
    }

    private static String hex(String text, int bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
