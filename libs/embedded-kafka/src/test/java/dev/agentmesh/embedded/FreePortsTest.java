package dev.agentmesh.embedded;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FreePortsTest {

    @Test
    void portsChosenTogetherAreDistinct() {
        for (int round = 0; round < 20; round++) {
            int[] ports = EmbeddedKafka.freePorts(8);
            assertEquals(8, Arrays.stream(ports).distinct().count(), Arrays.toString(ports));
            assertTrue(Arrays.stream(ports).allMatch(p -> p > 0));
        }
    }
}
