package dev.agentmesh.service;

import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StreamsRecoveryTest {

    @Test
    void aDyingThreadIsReplacedUntilItKeepsDyingThenTheClientShutsDown() {
        StreamsRecovery recovery = new StreamsRecovery();
        for (int i = 0; i < StreamsRecovery.MAX_REPLACEMENTS; i++) {
            assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD,
                    recovery.handle(new InvalidTxnStateException("broker restarted under an open transaction")));
        }
        assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, recovery.handle(new IllegalStateException("again")));
    }
}
