package dev.agentmesh.service;

import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AssignmentReadinessTest {

    @Test
    void notReadyUntilPartitionsAreAssignedAndAgainAfterTheyAreGone() {
        AssignmentReadiness readiness = new AssignmentReadiness(true);
        assertEquals(HealthCheckResponse.Status.DOWN, readiness.call().getStatus());
        TopicPartition p0 = new TopicPartition("mesh.run-events", 0);
        TopicPartition p1 = new TopicPartition("mesh.run-events", 1);
        readiness.onPartitionsAssigned(null, List.of(p0, p1));
        assertEquals(HealthCheckResponse.Status.UP, readiness.call().getStatus());
        assertEquals("mesh.run-events-0,mesh.run-events-1", readiness.call().getData().orElseThrow().get("partitions"));
        readiness.onPartitionsRevoked(null, List.of(p0));
        assertEquals(HealthCheckResponse.Status.UP, readiness.call().getStatus());
        readiness.onPartitionsLost(null, List.of(p1));
        assertEquals(HealthCheckResponse.Status.DOWN, readiness.call().getStatus());
    }

    @Test
    void aServiceWithNoGroupChannelHasNothingToWaitFor() {
        assertEquals(HealthCheckResponse.Status.UP, new AssignmentReadiness(false).call().getStatus());
    }
}
