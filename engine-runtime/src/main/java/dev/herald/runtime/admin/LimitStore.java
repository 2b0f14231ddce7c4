package dev.herald.runtime.admin;

import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.limits.LimitSettings;
import dev.herald.runtime.limits.Limits;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limit changes made through the admin API: validated, applied to the running {@link Limits}, kept in
 * {@code herald.admin_settings} (applied again on the next start, over the configured values) and audited in
 * {@code herald.admin_audit}. Without a database (change capture off and no plugin tables) changes apply to the
 * running engine only and the audit is kept in memory. Thread-safe (changes are serialised).
 */
public final class LimitStore {
    private static final Logger LOG = LoggerFactory.getLogger(LimitStore.class);
    private static final int MEMORY_AUDIT_MAX = 1_000;

    /** One audited change. */
    public record AuditEntry(long atMs, String actor, String setting, String oldValue, String newValue) {
    }

    /** A refused change: which field and why. */
    public static final class InvalidLimit extends RuntimeException {
        private final String field;

        InvalidLimit(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    private final DataSource dataSource;
    private final Limits limits;
    private final List<AuditEntry> memoryAudit = new ArrayList<>();

    /** @param dataSource Herald's database (its schema migrated), or null */
    public LimitStore(DataSource dataSource, Limits limits) {
        this.dataSource = dataSource;
        this.limits = limits;
    }

    public boolean persistent() {
        return dataSource != null;
    }

    /** Applies the stored limit changes to the running limits; returns the keys applied. */
    public synchronized List<String> applyStored() throws SQLException {
        if (dataSource == null) return List.of();
        Map<String, Long> stored = new LinkedHashMap<>();
        Map<String, Long> known = limits.settings().asMap();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT key, value FROM herald.admin_settings ORDER BY key");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String key = rs.getString(1);
                if (!known.containsKey(key)) continue;
                try {
                    stored.put(key, Long.parseLong(rs.getString(2)));
                } catch (NumberFormatException e) {
                    LOG.warn("ignoring stored limit {}='{}': not a number", key, rs.getString(2));
                }
            }
        }
        if (stored.isEmpty()) return List.of();
        try {
            limits.update(limits.settings().with(stored));
        } catch (ConfigException e) {
            LOG.warn("ignoring the limits stored by the admin API: {}", e.getMessage());
            return List.of();
        }
        return List.copyOf(stored.keySet());
    }

    /**
     * Validates and applies {@code changes} (limit key → value); all or nothing.
     *
     * @throws InvalidLimit naming the first field that is unknown or out of range
     */
    public synchronized LimitSettings change(Map<String, Object> changes, String actor) throws SQLException {
        LimitSettings current = limits.settings();
        Map<String, Long> before = current.asMap();
        Map<String, Long> parsed = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : changes.entrySet()) {
            String key = e.getKey();
            if (!before.containsKey(key)) throw new InvalidLimit(key, "unknown limit " + key + " (known: " + String.join(", ", before.keySet()) + ")");
            Long value = asWholeNumber(e.getValue());
            if (value == null) throw new InvalidLimit(key, "limit " + key + " must be a whole number");
            try {
                current.with(Map.of(key, value));
            } catch (ConfigException ex) {
                throw new InvalidLimit(key, ex.getMessage());
            }
            parsed.put(key, value);
        }
        LimitSettings next;
        try {
            next = current.with(parsed);
        } catch (ConfigException ex) {
            throw new InvalidLimit(parsed.keySet().iterator().next(), ex.getMessage());
        }
        Map<String, Long> changed = new LinkedHashMap<>();
        parsed.forEach((k, v) -> {
            if (!v.equals(before.get(k))) changed.put(k, v);
        });
        if (changed.isEmpty()) return current;
        if (dataSource != null) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try (PreparedStatement upsert = c.prepareStatement("INSERT INTO herald.admin_settings (key, value, updated_by) VALUES (?, ?, ?) "
                        + "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by");
                     PreparedStatement audit = c.prepareStatement("INSERT INTO herald.admin_audit (actor, setting, old_value, new_value) VALUES (?, ?, ?, ?)")) {
                    for (Map.Entry<String, Long> e : changed.entrySet()) {
                        upsert.setString(1, e.getKey());
                        upsert.setString(2, e.getValue().toString());
                        upsert.setString(3, actor);
                        upsert.addBatch();
                        audit.setString(1, actor);
                        audit.setString(2, e.getKey());
                        audit.setString(3, String.valueOf(before.get(e.getKey())));
                        audit.setString(4, e.getValue().toString());
                        audit.addBatch();
                    }
                    upsert.executeBatch();
                    audit.executeBatch();
                    c.commit();
                } catch (SQLException e) {
                    c.rollback();
                    throw e;
                }
            }
        } else {
            long now = System.currentTimeMillis();
            changed.forEach((k, v) -> memoryAudit.add(new AuditEntry(now, actor, k, String.valueOf(before.get(k)), v.toString())));
            while (memoryAudit.size() > MEMORY_AUDIT_MAX) memoryAudit.remove(0);
        }
        limits.update(next);
        changed.forEach((k, v) -> LOG.info("event=limit_changed setting={} old={} new={} actor=\"{}\"", k, before.get(k), v, actor));
        return next;
    }

    /** The newest audit entries first. */
    public synchronized List<AuditEntry> audit(int max) throws SQLException {
        List<AuditEntry> out = new ArrayList<>();
        if (dataSource == null) {
            for (int i = memoryAudit.size() - 1; i >= 0 && out.size() < max; i--) out.add(memoryAudit.get(i));
            return out;
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT at, actor, setting, old_value, new_value FROM herald.admin_audit ORDER BY id DESC LIMIT ?")) {
            ps.setInt(1, max);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Timestamp at = rs.getTimestamp(1);
                    out.add(new AuditEntry(at.getTime(), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)));
                }
            }
        }
        return out;
    }

    private static Long asWholeNumber(Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short) return ((Number) v).longValue();
        if (v instanceof BigInteger b) return b.bitLength() < 63 ? b.longValue() : null;
        if (v instanceof Number n) {
            double d = n.doubleValue();
            return d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9e15 ? (long) d : null;
        }
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }
}
