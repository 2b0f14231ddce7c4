package dev.herald.runtime.cdc;

import java.time.Instant;
import java.util.HashMap;
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
        Map<String, Object> m = new HashMap<>(oldRow);
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

        /** The text form clients resume from: {@code c:<last commit LSN>:<LSN>} in hex. */
        public String text() {
            return String.format("c:%016X:%016X", lastCommitLsn, lsn);
        }

        /** The position {@link #text} wrote, or null for any other text (null included). */
        public static StreamPosition parse(String text) {
            String[] parts = text == null ? new String[0] : text.split(":");
            if (parts.length != 3 || !parts[0].equals("c")) return null;
            try {
                return new StreamPosition(Long.parseUnsignedLong(parts[1], 16), Long.parseUnsignedLong(parts[2], 16));
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }
}
