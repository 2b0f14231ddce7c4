package dev.herald.plugins.analytics;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The plugin's SQL. Each write is one statement whatever the number of rows: arrays bound as parameters and expanded
 * by {@code unnest}, so a batch of 500 events is one round trip. Thread-safe (a connection per call).
 */
final class AnalyticsStore {
    private static final String INSERT_EVENTS = """
            INSERT INTO analytics_events (event_type, user_id, occurred_at, properties)
            SELECT t, u, o::timestamptz, p::jsonb FROM unnest(?::text[], ?::text[], ?::text[], ?::text[]) AS e(t, u, o, p)""";
    private static final String UPSERT_ROLLUPS = """
            INSERT INTO analytics_rollups (minute, metric, count)
            SELECT m::timestamptz, k, c FROM unnest(?::text[], ?::text[], ?::bigint[]) AS r(m, k, c)
            ON CONFLICT (minute, metric) DO UPDATE SET count = analytics_rollups.count + excluded.count""";
    private static final String SELECT_ROLLUPS = """
            SELECT minute, metric, count FROM analytics_rollups
            WHERE minute >= ? AND minute < ? AND (?::text IS NULL OR metric = ?::text)
            ORDER BY minute, metric""";

    /**
     * One stored per-minute count.
     *
     * @param minute the minute (UTC)
     * @param metric the event type
     * @param count events of that type in that minute
     */
    record Rollup(String minute, String metric, long count) {
    }

    private final DataSource dataSource;

    AnalyticsStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Writes the events in one statement (all or nothing). */
    void insertEvents(List<Event> events) throws SQLException {
        if (events.isEmpty()) return;
        int n = events.size();
        String[] types = new String[n], users = new String[n], times = new String[n], props = new String[n];
        for (int i = 0; i < n; i++) {
            Event e = events.get(i);
            types[i] = e.type();
            users[i] = e.userId();
            times[i] = e.occurredAt().toString();
            props[i] = e.propertiesJson();
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT_EVENTS)) {
            c.setAutoCommit(true);
            bind(c, ps, 1, types);
            bind(c, ps, 2, users);
            bind(c, ps, 3, times);
            bind(c, ps, 4, props);
            ps.executeUpdate();
        }
    }

    /** Adds the counts to {@code analytics_rollups} in one statement. */
    void addRollups(Map<LiveCounters.RollupKey, Long> counts) throws SQLException {
        if (counts.isEmpty()) return;
        int n = counts.size();
        String[] minutes = new String[n], metrics = new String[n];
        Long[] values = new Long[n];
        int i = 0;
        for (var e : counts.entrySet()) {
            minutes[i] = e.getKey().minute().toString();
            metrics[i] = e.getKey().metric();
            values[i] = e.getValue();
            i++;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(UPSERT_ROLLUPS)) {
            c.setAutoCommit(true);
            bind(c, ps, 1, minutes);
            bind(c, ps, 2, metrics);
            Array a = c.createArrayOf("bigint", values);
            ps.setArray(3, a);
            ps.executeUpdate();
        }
    }

    /** Stored counts with {@code from <= minute < to}, of one metric or (null) all. */
    List<Rollup> rollups(Instant from, Instant to, String metric) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(SELECT_ROLLUPS)) {
            ps.setObject(1, OffsetDateTime.ofInstant(from, ZoneOffset.UTC));
            ps.setObject(2, OffsetDateTime.ofInstant(to, ZoneOffset.UTC));
            ps.setString(3, metric);
            ps.setString(4, metric);
            List<Rollup> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(new Rollup(rs.getObject(1, OffsetDateTime.class).toInstant().toString(), rs.getString(2), rs.getLong(3)));
            }
            return out;
        }
    }

    private static void bind(Connection c, PreparedStatement ps, int index, String[] values) throws SQLException {
        ps.setArray(index, c.createArrayOf("text", values));
    }
}
