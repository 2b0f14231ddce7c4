package dev.herald.plugins.events;

import dev.herald.api.plugin.PluginState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the events plugin has done since Herald started, kept in memory for the admin console. Thread-safe: REST
 * threads and the change-capture thread (the count hook) count concurrently, the console reads at any time without
 * blocking them; a read may miss work finishing at that instant. Nothing is persisted, so the figures restart at zero
 * with Herald.
 */
final class EventActivity {
    private final LongAdder requests = new LongAdder();
    private final LongAdder created = new LongAdder();
    private final LongAdder joins = new LongAdder();
    private final LongAdder refusedFull = new LongAdder();
    private final LongAdder leaves = new LongAdder();
    private final LongAdder countsPublished = new LongAdder();

    /** One REST request reached the plugin (Herald had verified its token). */
    void request() {
        requests.increment();
    }

    /** An event was created (committed). */
    void created() {
        created.increment();
    }

    /** A caller joined an event (committed; a repeated join of the same caller is not counted). */
    void joined() {
        joins.increment();
    }

    /** A join was refused because the event was full. */
    void refusedFull() {
        refusedFull.increment();
    }

    /** A caller left an event (committed). */
    void left() {
        leaves.increment();
    }

    /** The count hook published one moved {@code participant_count} (to the public and the private channel). */
    void countPublished() {
        countsPublished.increment();
    }

    /** The plugin's state now: always OK (it has nothing to configure), with the counters. */
    PluginState state() {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("rest_requests", requests.sum());
        figures.put("events_created", created.sum());
        figures.put("joins", joins.sum());
        figures.put("joins_refused_full", refusedFull.sum());
        figures.put("leaves", leaves.sum());
        figures.put("count_broadcasts", countsPublished.sum());
        return new PluginState(PluginState.Health.OK, "serving /plugins/events; counts since start", figures);
    }
}
