package dev.herald.runtime.cdc;

import java.time.Instant;
import java.util.Map;

/**
 * One committed row change, in commit order. Row maps show typed values; from the change feed they are {@link PgRow}s,
 * whose {@link PgRow#raw raw} values keep PostgreSQL's text for the exact payload (see {@code RowDecoder}); a column missing
 * from a map is unknown (not in the replica identity, or an unchanged TOAST value), SQL NULL is a present
 * {@code null}. {@code newRow} is empty for DELETE, {@code oldRow} empty when the old image is unknown.
 * {@code position} orders events in the stream and survives restarts of the source.
 */
public record ChangeEvent(String schema, String table, Type type, Instant commitTime, StreamPosition position,
                          Map<String, Object> newRow, Map<String, Object> oldRow, int approximateBytes) {

    public enum Type { INSERT, UPDATE, DELETE }

    /**
     * The row as it is after this change: the new image with unchanged TOAST columns filled from the old image (what
     * the payload's {@code record} shows, and what filters and policies judge). The new image itself when nothing
     * needs filling.
     */
    public Map<String, Object> rowAfter() {
        if (oldRow.isEmpty() || newRow.keySet().containsAll(oldRow.keySet())) return newRow;
        if (newRow instanceof PgRow || oldRow instanceof PgRow) return PgRow.merged(oldRow, newRow);
        Map<String, Object> m = new java.util.HashMap<>(oldRow);
        m.putAll(newRow);
        return m;
    }

    /** (commit LSN of the previous transaction, LSN of this change): increasing along the stream. */
    public record StreamPosition(long lastCommitLsn, long lsn) implements Comparable<StreamPosition> {
        @Override
        public int compareTo(StreamPosition o) {
            int c = Long.compareUnsigned(lastCommitLsn, o.lastCommitLsn);
            return c != 0 ? c : Long.compareUnsigned(lsn, o.lsn);
        }
    }
}
