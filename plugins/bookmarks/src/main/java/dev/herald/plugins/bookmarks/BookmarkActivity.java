package dev.herald.plugins.bookmarks;

import dev.herald.api.plugin.PluginState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the bookmarks plugin has done since Herald started, kept in memory for the admin console. Thread-safe: REST
 * threads count concurrently, the console reads at any time without blocking them; a read may miss a request that is
 * finishing at that instant. Nothing is persisted, so the figures restart at zero with Herald.
 */
final class BookmarkActivity {
    private final LongAdder requests = new LongAdder();
    private final LongAdder added = new LongAdder();
    private final LongAdder removed = new LongAdder();

    /** One REST request reached the plugin (Herald had verified its token). */
    void request() {
        requests.increment();
    }

    /** A bookmark row was inserted (an idempotent repeat of an existing one is not counted). */
    void added() {
        added.increment();
    }

    /** {@code rows} bookmark rows were deleted. */
    void removed(int rows) {
        removed.add(rows);
    }

    /** The plugin's state now: always OK (it has nothing to configure), with the counters. */
    PluginState state() {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("rest_requests", requests.sum());
        figures.put("bookmarks_added", added.sum());
        figures.put("bookmarks_removed", removed.sum());
        return new PluginState(PluginState.Health.OK, "serving /plugins/bookmarks; counts since start", figures);
    }
}
