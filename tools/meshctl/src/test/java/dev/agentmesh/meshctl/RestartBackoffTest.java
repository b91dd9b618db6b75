package dev.agentmesh.meshctl;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RestartBackoffTest {

    final AtomicLong now = new AtomicLong();
    final RestartBackoff backoff = new RestartBackoff(Duration.ofMillis(250), Duration.ofSeconds(2),
            Duration.ofSeconds(10), now::get);

    void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void aServiceKilledLongAfterItWasReadyStartsAgainAtOnceEveryTime() {
        for (int i = 0; i < 5; i++) {
            backoff.ready("cost");
            advance(Duration.ofSeconds(11));
            assertEquals(Duration.ofMillis(250), backoff.exited("cost"), "exit " + i);
        }
    }

    @Test
    void aServiceThatKeepsExitingSoonAfterStartingWaitsLongerEachTimeUpToTheMaximum() {
        backoff.running("trainer");
        advance(Duration.ofSeconds(1));
        assertEquals(Duration.ofMillis(250), backoff.exited("trainer"));
        assertEquals(Duration.ofMillis(500), backoff.exited("trainer"), "exited again before it was ever ready");
        backoff.ready("trainer");
        advance(Duration.ofSeconds(3));
        assertEquals(Duration.ofSeconds(1), backoff.exited("trainer"), "ready for less than 10 s");
        assertEquals(Duration.ofSeconds(2), backoff.exited("trainer"));
        assertEquals(Duration.ofSeconds(2), backoff.exited("trainer"), "never more than the maximum");
        assertEquals(Duration.ofMillis(250), backoff.exited("cost"), "each service has its own backoff");

        backoff.ready("trainer");
        advance(Duration.ofSeconds(10));
        assertEquals(Duration.ofMillis(250), backoff.exited("trainer"), "healthy for 10 s: the loop is over");
    }
}
