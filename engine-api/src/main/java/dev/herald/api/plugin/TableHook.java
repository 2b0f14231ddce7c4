package dev.herald.api.plugin;

/**
 * Reacts to committed changes of one of the plugin's published tables, e.g. to maintain a counter or publish a
 * broadcast through {@link PluginContext#broadcast}.
 *
 * <h2>Delivery</h2>
 * Called once per change, in commit order, on the change-capture thread, after the change was fanned out to
 * postgres_changes subscribers and before its position is acknowledged to PostgreSQL. Delivery is at least once: a
 * change may be seen again after a crash, so a hook must be idempotent. A thrown exception is logged and counted and
 * does not stop the feed.
 *
 * <h2>Contract</h2>
 * Fast and non-blocking: it delays every later change. Work that does I/O belongs on the plugin's own executor.
 * Thread-safe with respect to the plugin's other code (REST requests run concurrently).
 */
public interface TableHook {
    /** The table's schema, e.g. {@code public}. Constant. */
    String schema();

    /** The table's name. Constant; must be one of the plugin's published tables. */
    String table();

    /** Handles one change. */
    void onChange(RowChange change);
}
