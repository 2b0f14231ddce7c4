package dev.herald.api.plugin;

import java.time.Instant;
import java.util.Map;

/**
 * One committed row change as a {@link TableHook} sees it. Row maps use the typed model described in
 * {@link dev.herald.api.policy.RowPolicy} and are unmodifiable.
 *
 * @param schema the table's schema
 * @param table the table's name
 * @param type INSERT, UPDATE or DELETE
 * @param record the row after the change (empty for DELETE)
 * @param oldRecord the row before the change as far as the replica identity provides it (empty for INSERT)
 * @param commitTime when the transaction committed
 */
public record RowChange(String schema, String table, Type type, Map<String, Object> record, Map<String, Object> oldRecord,
                        Instant commitTime) {
    /** The kind of change. */
    public enum Type { INSERT, UPDATE, DELETE }
}
