package dev.agentmesh.meshctl;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * How long the supervisor waits before starting an exited service again. A service that was ready for a while and
 * then died starts again after {@code first}; one that keeps exiting before it has been ready for {@code healthyFor}
 * (a crash loop) waits twice as long each time, up to {@code max}.
 */
final class RestartBackoff {

    private final long firstMs;
    private final long maxMs;
    private final long healthyForNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Long> waitMs = new ConcurrentHashMap<>();
    private final Map<String, Long> readySince = new ConcurrentHashMap<>();

    RestartBackoff(Duration first, Duration max, Duration healthyFor, LongSupplier nanoClock) {
        this.firstMs = first.toMillis();
        this.maxMs = max.toMillis();
        this.healthyForNanos = healthyFor.toNanos();
        this.nanoClock = nanoClock;
    }

    /** {@code service} is ready now. */
    void ready(String service) {
        readySince.put(service, nanoClock.getAsLong());
    }

    /** {@code service} is running: ready since now unless it was already known to be. */
    void running(String service) {
        readySince.putIfAbsent(service, nanoClock.getAsLong());
    }

    /** {@code service} exited: how long to wait before starting it again. */
    Duration exited(String service) {
        Long since = readySince.remove(service);
        if (since != null && nanoClock.getAsLong() - since >= healthyForNanos) {
            waitMs.remove(service);
        }
        return Duration.ofMillis(waitMs.merge(service, firstMs, (a, b) -> Math.min(a * 2, maxMs)));
    }
}
