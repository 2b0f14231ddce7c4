package dev.herald.plugins.analytics;

import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.PluginState.Health;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the analytics plugin counts about its own work for the admin console: ingested batches by outcome, and whether
 * its latest database call failed. Only calls that reach the database count (an empty flush does not), so the health
 * follows the database, not the traffic.
 *
 * <p>Thread-safe and non-blocking: REST requests and the flusher report concurrently; the console reads adders and
 * one volatile field.
 */
final class AnalyticsStats {
    private final LongAdder batchesAccepted = new LongAdder();
    private final LongAdder eventsAccepted = new LongAdder();
    private final LongAdder batchesRejected = new LongAdder();
    private final LongAdder batchesFailed = new LongAdder();
    private final LongAdder databaseFailures = new LongAdder();
    /** What the latest database call that failed was doing, or null when the latest call succeeded. */
    private volatile String failing;

    /** A batch stored and counted. */
    void accepted(int events) {
        batchesAccepted.increment();
        eventsAccepted.add(events);
    }

    /** A batch refused as invalid (4xx); nothing of it was stored. */
    void rejected() {
        batchesRejected.increment();
    }

    /** A batch refused because the database failed (503). */
    void batchFailed() {
        batchesFailed.increment();
    }

    /** A database call succeeded. */
    void databaseWorked() {
        failing = null;
    }

    /**
     * A database call failed.
     *
     * @param what what the call was doing, e.g. {@code writing usage events}
     */
    void databaseFailed(String what) {
        databaseFailures.increment();
        failing = what;
    }

    /**
     * The plugin's state now: degraded while its latest database call failed (batches answer 503 and flushes retry),
     * otherwise OK; the figures are the in-memory counters.
     */
    PluginState report(LiveCounters counters, UsageRecorder usage, LiveMetricsPublisher publisher, long nowMillis) {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("events_total", counters.total());
        figures.put("batches_accepted", batchesAccepted.sum());
        figures.put("events_accepted", eventsAccepted.sum());
        figures.put("batches_rejected", batchesRejected.sum());
        figures.put("batches_failed", batchesFailed.sum());
        figures.put("usage_queued", usage.queued());
        figures.put("usage_dropped", usage.dropped());
        figures.put("rollups_pending", counters.hasPending());
        figures.put("database_failures", databaseFailures.sum());
        figures.put("active_users", counters.activeUsers(nowMillis));
        figures.put("live_updates", publisher.updates());
        String why = failing;
        if (why != null) {
            return new PluginState(Health.DEGRADED, "the database failed while " + why
                    + "; batches are refused with 503, usage events and rollup counts wait for the next flush", figures);
        }
        return new PluginState(Health.OK, counters.total() + " events counted since " + counters.since(), figures);
    }
}
