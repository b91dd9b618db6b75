package dev.agentmesh.service;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AssignmentReadinessTest {

    static final TopicPartition P0 = new TopicPartition("mesh.run-events", 0);
    static final TopicPartition P1 = new TopicPartition("mesh.run-events", 1);

    static ConsumerGroupMetadata member(String id, int generation) {
        return new ConsumerGroupMetadata("stage", generation, id, Optional.of(id + "-instance"));
    }

    @Test
    void notReadyUntilPartitionsAreAssignedAndAgainAfterTheyAreGone() {
        AssignmentReadiness readiness = new AssignmentReadiness(true);
        assertEquals(HealthCheckResponse.Status.DOWN, readiness.call().getStatus());
        readiness.assigned(member("a", 1), List.of(P0, P1));
        assertEquals(HealthCheckResponse.Status.UP, readiness.call().getStatus());
        assertEquals("mesh.run-events-0,mesh.run-events-1", readiness.call().getData().orElseThrow().get("partitions"));
        readiness.released("a", List.of(P0));
        assertEquals(HealthCheckResponse.Status.UP, readiness.call().getStatus());
        readiness.released("a", List.of(P1));
        assertEquals(HealthCheckResponse.Status.DOWN, readiness.call().getStatus());
    }

    @Test
    void knowsWhichMemberOwnsAPartitionAndAsOfWhichGeneration() {
        AssignmentReadiness readiness = new AssignmentReadiness(true);
        readiness.assigned(member("a", 1), List.of(P0, P1));
        assertEquals(Optional.of(member("a", 1)).map(ConsumerGroupMetadata::generationId),
                readiness.owner(P0).map(ConsumerGroupMetadata::generationId));

        // a rebalance moves P0 to another consumer of the same process before the first one hears it was revoked
        readiness.assigned(member("b", 2), List.of(P0));
        readiness.released("a", List.of(P0, P1));
        assertEquals(Optional.of("b"), readiness.owner(P0).map(ConsumerGroupMetadata::memberId),
                "the late revocation does not take the partition from its new owner");
        assertEquals(2, readiness.owner(P0).orElseThrow().generationId());
        assertEquals(Optional.empty(), readiness.owner(P1));
    }

    @Test
    void aServiceWithNoGroupChannelHasNothingToWaitFor() {
        assertEquals(HealthCheckResponse.Status.UP, new AssignmentReadiness(false).call().getStatus());
    }
}
