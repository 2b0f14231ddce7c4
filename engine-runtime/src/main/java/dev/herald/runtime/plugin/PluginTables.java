package dev.herald.runtime.plugin;

import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.policy.RowAuthorizer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;

/**
 * The boot-time rules for plugin tables: a published plugin table reaches any subscriber whose role may select it,
 * so each must be guarded by a row policy or by PostgreSQL row-level security; and every table a plugin's
 * migrations create must be declared (published or internal), so none is captured by a {@code HERALD_CDC_TABLES}
 * pattern by accident. Stateless.
 */
public final class PluginTables {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PluginTables.class);

    private PluginTables() {
    }

    /**
     * Refuses to boot when a table of {@code published} ({@code schema.table}) has neither a row policy in
     * {@code rows} nor row-level security enabled in the database.
     */
    public static void requireGuarded(Collection<String> published, RowAuthorizer rows, DataSource dataSource) {
        List<String> unguarded = new ArrayList<>();
        for (String qualified : published) {
            int dot = qualified.indexOf('.');
            String schema = qualified.substring(0, dot);
            String table = qualified.substring(dot + 1);
            if (rows.hasPolicy(schema, table)) {
                LOG.info("plugin table {} is published, guarded by a row policy", qualified);
            } else if (rowSecurity(dataSource, schema, table)) {
                LOG.info("plugin table {} is published, guarded by row-level security", qualified);
            } else {
                unguarded.add(qualified);
            }
        }
        if (!unguarded.isEmpty()) {
            throw new ConfigException("Plugin tables " + unguarded + " are published but guarded neither by a row policy nor by "
                    + "row-level security, so every subscriber could read them; give the plugin a row policy for each, or "
                    + "ENABLE ROW LEVEL SECURITY with policies in its migrations");
        }
    }

    private static boolean rowSecurity(DataSource dataSource, String schema, String table) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT c.relrowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     + "WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new ConfigException("cannot check row-level security of plugin table " + schema + "." + table + ": " + e.getMessage());
        }
    }

    /** The ordinary and partitioned tables of {@code schema}. */
    static Set<String> tablesIn(DataSource dataSource, String schema) {
        Set<String> out = new TreeSet<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     + "WHERE n.nspname = ? AND c.relkind IN ('r', 'p')")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new ConfigException("cannot list the tables of schema " + schema + ": " + e.getMessage());
        }
        return out;
    }
}
