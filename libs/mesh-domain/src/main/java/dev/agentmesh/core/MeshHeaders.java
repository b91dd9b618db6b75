package dev.agentmesh.core;

/** Kafka header names used across the mesh. The dead-letter ones are SmallRye's, so both writers agree. */
public final class MeshHeaders {

    private MeshHeaders() {
    }

    public static final String DLQ_REASON = "dead-letter-reason";
    public static final String DLQ_CAUSE = "dead-letter-cause";
    public static final String DLQ_TOPIC = "dead-letter-topic";
    public static final String DLQ_PARTITION = "dead-letter-partition";
    public static final String DLQ_OFFSET = "dead-letter-offset";
    /** Which service sent the record to the dead-letter topic. */
    public static final String DLQ_SERVICE = "mesh-dead-letter-service";
    /** Size in bytes of the dead record (key, value and headers); a record over the copy limit is not copied. */
    public static final String DLQ_SIZE = "mesh-dead-letter-size";
    /** Run the dead record belongs to, when it is known. */
    public static final String RUN_ID = "mesh-run-id";
    /** W3C trace context of the event (see {@link Traces}). */
    public static final String TRACE_PARENT = "traceparent";
    /** Id of the mesh event in the record, so logs and metrics need not decode it. */
    public static final String EVENT_ID = "mesh-event-id";
    /** Data contract a re-driven row is validated against. */
    public static final String CONTRACT = "mesh-contract";
    /** Field-level reasons for a rejected row, as {@code field: reason; field: reason}. */
    public static final String ROW_REJECTIONS = "mesh-row-rejections";
}
