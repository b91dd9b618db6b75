package dev.agentmesh.service;

import dev.agentmesh.run.RunEvent;
import dev.agentmesh.topics.Topic;
import org.apache.kafka.common.header.Headers;

/**
 * Where a process manager's effects go: records forwarded to the topology's sinks, written in the same Kafka
 * transaction as the offset of the event that caused them (exactly once).
 */
public interface Outbox {

    /** A run event, keyed by its run id, with its trace context and ids as headers. */
    void send(RunEvent event);

    void send(Topic<?, ?> topic, String key, byte[] value);

    void send(Topic<?, ?> topic, String key, byte[] value, Headers headers);
}
