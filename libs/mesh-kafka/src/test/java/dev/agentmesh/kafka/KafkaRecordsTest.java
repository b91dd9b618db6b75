package dev.agentmesh.kafka;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class KafkaRecordsTest {

    @Test
    void aHeaderWithNoValueIsLeftOutAndTheLastOfARepeatedNameWins() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("a", "1".getBytes(StandardCharsets.UTF_8));
        headers.add("mesh-event-id", null);
        headers.add("a", "2".getBytes(StandardCharsets.UTF_8));
        assertEquals(Map.of("a", "2"), KafkaRecords.text(headers));
    }
}
