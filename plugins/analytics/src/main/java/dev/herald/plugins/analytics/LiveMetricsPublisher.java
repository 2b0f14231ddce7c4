package dev.herald.plugins.analytics;

import java.time.Clock;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Publishes the live metrics when they changed, never twice within {@code minIntervalMillis}. {@link #tick()} is
 * called often (every 100 ms by the plugin's scheduler); it publishes only when something was recorded since the last
 * publication (or the active-user count moved because users left the window) and the interval has passed since the
 * last publication by the clock, so a late or bunched scheduler cannot break the bound. Thread-safe ({@link #tick()}
 * is synchronized; the snapshot methods only read).
 */
final class LiveMetricsPublisher {
    private final LiveCounters counters;
    private final Clock clock;
    private final long minIntervalMillis;
    private final Consumer<Map<String, Object>> sink;
    private long lastPublished = Long.MIN_VALUE;
    private int lastActive;
    private volatile long updates;

    LiveMetricsPublisher(LiveCounters counters, Clock clock, long minIntervalMillis, Consumer<Map<String, Object>> sink) {
        this.counters = counters;
        this.clock = clock;
        this.minIntervalMillis = minIntervalMillis;
        this.sink = sink;
    }

    /** Publishes if due; returns whether it did. A failing sink is retried at the next tick. */
    synchronized boolean tick() {
        long now = clock.millis();
        counters.prune(now);
        int active = counters.activeUsers(now);
        boolean changed = counters.takeDirty() | active != lastActive;
        if (!changed) return false;
        if (lastPublished != Long.MIN_VALUE && now - lastPublished < minIntervalMillis) {
            counters.markDirty();
            return false;
        }
        Map<String, Object> snapshot = counters.snapshot(now, updates + 1);
        try {
            sink.accept(snapshot);
        } catch (RuntimeException e) {
            counters.markDirty();
            throw e;
        }
        updates++;
        lastPublished = now;
        lastActive = active;
        return true;
    }

    /** How many times the metrics were published. */
    long updates() {
        return updates;
    }

    /** The current metrics (not necessarily published yet). */
    Map<String, Object> snapshot() {
        return counters.snapshot(clock.millis(), updates);
    }
}
