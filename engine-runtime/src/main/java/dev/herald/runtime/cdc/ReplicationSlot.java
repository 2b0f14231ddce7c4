package dev.herald.runtime.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * What the database knows of Herald's change feed beyond the source's own offsets: how much WAL the replication
 * slot retains, and where a clean stop left off ({@code herald.cdc_state}). Each call opens its own connection;
 * thread-safe.
 */
final class ReplicationSlot {
    private final DataSource dataSource;
    private final String name;

    ReplicationSlot(DataSource dataSource, String name) {
        this.dataSource = dataSource;
        this.name = name;
    }

    String name() {
        return name;
    }

    /** WAL retained by the slot in bytes: what it has not confirmed yet; -1 when the slot does not exist. */
    long lagBytes() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        }
    }

    /** Records the last position handed out before a clean stop. */
    void recordStopPosition(ChangeEvent.StreamPosition last) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO herald.cdc_state (id, last_position) VALUES (1, ?) "
                     + "ON CONFLICT (id) DO UPDATE SET last_position = EXCLUDED.last_position, updated_at = now()")) {
            ps.setString(1, last.text());
            ps.executeUpdate();
        }
    }

    /**
     * Reads and clears the position a clean stop recorded, so a crash after this start leaves none behind; null
     * when there is none.
     */
    ChangeEvent.StreamPosition takeStopPosition() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM herald.cdc_state WHERE id = 1 RETURNING last_position");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? ChangeEvent.StreamPosition.parse(rs.getString(1)) : null;
        }
    }
}
