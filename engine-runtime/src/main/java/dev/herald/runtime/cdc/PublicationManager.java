package dev.herald.runtime.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps Herald's publication in step with what should be captured: tables declared by plugins and tables matching
 * the configured patterns ({@code schema.table} or {@code schema.*}). Plugin tables are never matched by a pattern:
 * the ones a plugin publishes are included by name, its internal ones are {@link #exclude excluded} and dropped from
 * the publication if found there. Otherwise it only adds tables, so tables an operator added with
 * {@code ALTER PUBLICATION} stay. Thread-safe.
 */
public final class PublicationManager {
    private static final Logger LOG = LoggerFactory.getLogger(PublicationManager.class);

    private final DataSource dataSource;
    private final String publication;
    private final List<String> patterns = new CopyOnWriteArrayList<>();
    private final Set<String> excluded = ConcurrentHashMap.newKeySet();

    public PublicationManager(DataSource dataSource, String publication, Collection<String> patterns) {
        this.dataSource = dataSource;
        this.publication = publication;
        this.patterns.addAll(patterns);
    }

    public String publication() {
        return publication;
    }

    /** Tables ({@code schema.table}) never to publish: plugins' internal tables. */
    public void exclude(Collection<String> tables) {
        excluded.addAll(tables);
    }

    /** Creates the publication (with no tables) if it does not exist yet. */
    public void ensureExists() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
                ps.setString(1, publication);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) return;
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("CREATE PUBLICATION " + quoteIdent(publication));
            }
            LOG.info("created publication {}", publication);
        }
    }

    /** Adds every existing table that matches a pattern and is not yet published. */
    public synchronized void reconcile() throws SQLException {
        Set<String> published = new HashSet<>(publishedTables());
        dropExcluded(published);
        if (patterns.isEmpty()) return;
        List<String[]> toAdd = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             + "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'herald') "
                             + "AND NOT c.relispartition")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String schema = rs.getString(1);
                    String table = rs.getString(2);
                    if (!published.contains(schema + "." + table) && !excluded.contains(schema + "." + table) && matches(schema, table)) {
                        toAdd.add(new String[] {schema, table});
                    }
                }
            }
            for (String[] t : toAdd) {
                try (Statement s = c.createStatement()) {
                    s.execute("ALTER PUBLICATION " + quoteIdent(publication) + " ADD TABLE " + quoteIdent(t[0]) + "." + quoteIdent(t[1]));
                    LOG.info("added {}.{} to publication {}", t[0], t[1], publication);
                } catch (SQLException e) {
                    // Another node or an operator may have added it meanwhile; anything else is worth a warning.
                    if (!"42710".equals(e.getSQLState())) LOG.warn("cannot add {}.{} to publication {}: {}", t[0], t[1], publication, e.getMessage());
                }
            }
        }
    }

    /** An internal plugin table published by an earlier version or by hand leaks its rows: take it out. */
    private void dropExcluded(Set<String> published) {
        for (String t : excluded) {
            if (!published.contains(t)) continue;
            int dot = t.indexOf('.');
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                s.execute("ALTER PUBLICATION " + quoteIdent(publication) + " DROP TABLE " + quoteIdent(t.substring(0, dot)) + "."
                        + quoteIdent(t.substring(dot + 1)));
                published.remove(t);
                LOG.warn("removed the plugin-internal table {} from publication {}", t, publication);
            } catch (SQLException e) {
                LOG.warn("cannot remove the plugin-internal table {} from publication {}: {}", t, publication, e.getMessage());
            }
        }
    }

    /** The tables currently in the publication, as {@code schema.table}. */
    public Set<String> publishedTables() throws SQLException {
        Set<String> out = new HashSet<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1) + "." + rs.getString(2));
            }
        }
        return out;
    }

    boolean matches(String schema, String table) {
        for (String p : patterns) {
            int dot = p.indexOf('.');
            if (dot < 0) continue;
            String ps = p.substring(0, dot);
            String pt = p.substring(dot + 1);
            if (ps.equals(schema) && (pt.equals("*") || pt.equals(table))) return true;
        }
        return false;
    }

    static String quoteIdent(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }
}
