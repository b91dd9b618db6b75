package dev.agentmesh.service;

import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamsReadinessTest {

    @Test
    void onlyARunningAppIsReady() {
        for (KafkaStreams.State state : KafkaStreams.State.values()) {
            if (state == KafkaStreams.State.RUNNING) {
                assertTrue(StreamsReadiness.ready(state));
            } else {
                assertFalse(StreamsReadiness.ready(state), state.name());
            }
        }
    }
}
