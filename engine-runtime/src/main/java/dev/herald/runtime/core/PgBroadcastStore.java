package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.Outbound;
import dev.herald.runtime.protocol.UserBroadcast;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL-backed replay window for broadcasts ({@code HERALD_REPLAY_STORE=postgres}): messages are written
 * behind the fan-out in small batches (every 20 ms), read back when a resume reaches further than the in-memory log
 * (after a restart), and swept by age and count. The epoch is stored too, so positions stay comparable across
 * restarts. A crash can lose the last batch; a client resuming past it is told to refetch. Thread-safe.
 */
public final class PgBroadcastStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgBroadcastStore.class);

    private static final String INSERT = "INSERT INTO herald.replay_broadcast (private, topic, position, message, binary_body) "
            + "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

    private record Pending(TopicKey key, long position, String message, byte[] binary) {
    }

    /** A stored message and its position. */
    record Stored(long position, Outbound message) {
    }

    private final DataSource dataSource;
    private final long maxAgeMs;
    private final int maxPerTopic;
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "herald-replay-writer");
        t.setDaemon(true);
        return t;
    });
    private final String epoch;
    private final boolean previousRunCrashed;

    /** Opens the store in Herald's schema (migrated by the caller): loads or creates the epoch, notes a crashed run. */
    public static PgBroadcastStore open(DataSource dataSource, long maxAgeMs, int maxPerTopic) throws SQLException {
        return new PgBroadcastStore(dataSource, maxAgeMs, maxPerTopic);
    }

    PgBroadcastStore(DataSource dataSource, long maxAgeMs, int maxPerTopic) throws SQLException {
        this.dataSource = dataSource;
        this.maxAgeMs = maxAgeMs;
        this.maxPerTopic = maxPerTopic;
        this.epoch = loadOrCreateEpoch();
        this.previousRunCrashed = !markRunning();
        writer.scheduleWithFixedDelay(this::flushQuietly, 20, 20, TimeUnit.MILLISECONDS);
        writer.scheduleWithFixedDelay(this::sweep, 10, 10, TimeUnit.SECONDS);
    }

    public String epoch() {
        return epoch;
    }

    /** Whether the previous engine died without flushing (its last messages may be missing from the store). */
    boolean previousRunCrashed() {
        return previousRunCrashed;
    }

    /** Marks the store as in use; returns whether the previous user stopped cleanly. */
    private boolean markRunning() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE herald.replay_epoch SET clean = false WHERE id = 1 RETURNING "
                     + "(SELECT clean FROM herald.replay_epoch WHERE id = 1)")) {
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private String loadOrCreateEpoch() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT epoch FROM herald.replay_epoch WHERE id = 1");
                 ResultSet rs = ps.executeQuery()) {
                if (rs.next()) return rs.getString(1);
            }
            String fresh = Long.toHexString(new SecureRandom().nextLong() & Long.MAX_VALUE);
            // A brand-new store counts as cleanly stopped: there is nothing it could have lost.
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO herald.replay_epoch (id, epoch, clean) VALUES (1, ?, true) ON CONFLICT (id) DO NOTHING")) {
                ps.setString(1, fresh);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT epoch FROM herald.replay_epoch WHERE id = 1");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** The highest stored position of a topic (0 when none), so offsets continue after a restart. */
    long maxPosition(TopicKey key) {
        flushQuietly();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(position), 0) FROM herald.replay_broadcast WHERE private = ? AND topic = ?")) {
            ps.setBoolean(1, key.isPrivate());
            ps.setString(2, key.name());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            LOG.warn("cannot read the replay store: {}", e.toString());
            return 0;
        }
    }

    /** Queues a published message for the store (called under the topic lock; never blocks on the database). */
    void append(TopicKey key, long position, JsonNode payload, UserBroadcast user) {
        if (user != null) {
            ObjectNode m = Json.object();
            m.put("event", user.event());
            m.put("json", user.json());
            m.put("meta", new String(user.metadata(), StandardCharsets.UTF_8));
            pending.add(new Pending(key, position, Json.write(m), user.payload()));
        } else {
            pending.add(new Pending(key, position, Json.write(payload), null));
        }
    }

    /** Stored messages of a topic after {@code since}, in order, plus the oldest stored position (0 = none). */
    List<Stored> after(TopicKey key, long since, long[] oldest) throws SQLException {
        flush();
        List<Stored> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(min(position), 0) FROM herald.replay_broadcast "
                    + "WHERE private = ? AND topic = ? AND created_at > now() - make_interval(secs => ?)")) {
                ps.setBoolean(1, key.isPrivate());
                ps.setString(2, key.name());
                ps.setDouble(3, maxAgeMs / 1000.0);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    oldest[0] = rs.getLong(1);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT position, message, binary_body FROM herald.replay_broadcast "
                    + "WHERE private = ? AND topic = ? AND position > ? AND created_at > now() - make_interval(secs => ?) ORDER BY position")) {
                ps.setBoolean(1, key.isPrivate());
                ps.setString(2, key.name());
                ps.setLong(3, since);
                ps.setDouble(4, maxAgeMs / 1000.0);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(new Stored(rs.getLong(1), rebuild(key, rs.getString(2), rs.getBytes(3))));
                }
            }
        }
        return out;
    }

    private static Outbound rebuild(TopicKey key, String message, byte[] binary) throws SQLException {
        try {
            JsonNode node = Json.read(message);
            if (binary == null) return Outbound.push(key.joinTopic(), "broadcast", node);
            byte[] meta = node.path("meta").asText("").getBytes(StandardCharsets.UTF_8);
            return Outbound.userBroadcast(key.joinTopic(), new UserBroadcast(node.path("event").asText(), node.path("json").asBoolean(), binary, meta));
        } catch (IOException e) {
            throw new SQLException("unreadable stored broadcast: " + e.getMessage(), e);
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (SQLException e) {
            LOG.warn("cannot write to the replay store: {}", e.toString());
        }
    }

    private synchronized void flush() throws SQLException {
        if (pending.isEmpty()) return;
        List<Pending> batch = new ArrayList<>();
        for (Pending p; (p = pending.poll()) != null; ) batch.add(p);
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            for (Pending p : batch) {
                bind(ps, p);
                ps.addBatch();
            }
            try {
                ps.executeBatch();
            } catch (SQLException e) {
                // One row PostgreSQL refuses must not lose the other topics' messages: write them one by one.
                LOG.warn("replay store batch refused ({}); writing its {} rows one by one", e.getMessage(), batch.size());
                writeEach(c, batch);
            }
        }
    }

    private static void writeEach(Connection c, List<Pending> batch) throws SQLException {
        if (!c.getAutoCommit()) c.rollback();
        try (PreparedStatement one = c.prepareStatement(INSERT)) {
            for (Pending p : batch) {
                try {
                    bind(one, p);
                    one.executeUpdate();
                } catch (SQLException rowError) {
                    LOG.warn("replay store: position {} of topic {} not kept: {}", p.position(),
                            Json.quote(p.key().name().replace('\0', '?')), rowError.getMessage());
                    if (!c.getAutoCommit()) c.rollback();
                }
            }
        }
    }

    private static void bind(PreparedStatement ps, Pending p) throws SQLException {
        ps.setBoolean(1, p.key().isPrivate());
        ps.setString(2, p.key().name());
        ps.setLong(3, p.position());
        ps.setString(4, p.message());
        ps.setBytes(5, p.binary());
    }

    private void sweep() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement age = c.prepareStatement("DELETE FROM herald.replay_broadcast WHERE created_at < now() - make_interval(secs => ?)");
             PreparedStatement count = c.prepareStatement("DELETE FROM herald.replay_broadcast r USING (SELECT private, topic, max(position) AS top "
                     + "FROM herald.replay_broadcast GROUP BY private, topic) m WHERE r.private = m.private AND r.topic = m.topic "
                     + "AND r.position <= m.top - ?")) {
            age.setDouble(1, maxAgeMs / 1000.0);
            age.executeUpdate();
            count.setLong(1, maxPerTopic);
            count.executeUpdate();
        } catch (SQLException e) {
            LOG.debug("replay store sweep failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            flush();
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement("UPDATE herald.replay_epoch SET clean = true WHERE id = 1")) {
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            LOG.warn("cannot flush the replay store on stop: {}", e.toString());
        }
    }
}
