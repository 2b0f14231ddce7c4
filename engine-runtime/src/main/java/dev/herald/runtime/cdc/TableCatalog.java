package dev.herald.runtime.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Catalog lookups for the change feed, cached so the delivery path never waits on the database: table shapes and
 * role privileges are read once and refreshed when a change shows the cached shape is stale or on
 * {@link #invalidate}. Thread-safe.
 */
public final class TableCatalog {
    private final DataSource dataSource;
    private final Map<String, Optional<TableInfo>> tables = new ConcurrentHashMap<>();
    private final Map<String, Boolean> privileges = new ConcurrentHashMap<>();
    private final Map<String, List<String>> columnPrivileges = new ConcurrentHashMap<>();
    /** Column types by OID; dropped with the table shapes (ALTER TYPE can change a composite). */
    private final Map<Integer, PgTypeInfo> types = new ConcurrentHashMap<>();

    public TableCatalog(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public Optional<TableInfo> table(String schema, String name) {
        return tables.computeIfAbsent(schema + "." + name, k -> load(schema, name));
    }

    public void invalidate(String schema, String name) {
        tables.remove(schema + "." + name);
        types.clear();
        privileges.keySet().removeIf(k -> k.endsWith("|" + schema + "." + name));
        columnPrivileges.keySet().removeIf(k -> k.endsWith("|" + schema + "." + name));
    }

    public void invalidateAll() {
        tables.clear();
        privileges.clear();
        columnPrivileges.clear();
        types.clear();
    }

    /** Forgets the privileges read (a GRANT or REVOKE happened), keeping the table shapes. */
    public void invalidatePrivileges() {
        privileges.clear();
        columnPrivileges.clear();
    }

    /**
     * {@link #selectableColumns} cached until {@link #invalidatePrivileges()}: what the delivery path reads for every
     * change, so it never waits on the database after the first change of a (role, table).
     */
    public List<String> visibleColumns(String role, TableInfo table) {
        return columnPrivileges.computeIfAbsent(role + "|" + table.qualifiedName(), k -> List.copyOf(selectableColumns(role, table)));
    }

    /**
     * Whether {@code role} is a database role that may SELECT from the table, or from some of its columns, and may use
     * its schema (cached).
     */
    public boolean canSelect(String role, String schema, String table) {
        return privileges.computeIfAbsent(role + "|" + schema + "." + table, k -> {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement(
                         "SELECT has_schema_privilege(r.oid, c.relnamespace, 'USAGE') AND has_any_column_privilege(r.oid, c.oid, 'SELECT') "
                                 + "FROM pg_roles r, pg_class c WHERE r.rolname = ? AND c.oid = format('%I.%I', ?, ?)::regclass")) {
                ps.setString(1, role);
                ps.setString(2, schema);
                ps.setString(3, table);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() && rs.getBoolean(1);
                }
            } catch (SQLException e) {
                throw new CatalogException("cannot check privileges of role " + role + " on " + schema + "." + table + ": " + e.getMessage(), e);
            }
        });
    }

    /** The columns of {@code table} that {@code role} may SELECT, in attribute order; none without USAGE on its schema. */
    public List<String> selectableColumns(String role, TableInfo table) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = format('%I.%I', ?, ?)::regclass AND a.attnum > 0 "
                             + "AND NOT a.attisdropped AND has_column_privilege(?, a.attrelid, a.attnum, 'SELECT') "
                             // Without USAGE on the schema the role cannot read the table at all, whatever its grants.
                             + "AND has_schema_privilege(?, (SELECT relnamespace FROM pg_class WHERE oid = a.attrelid), 'USAGE') ORDER BY a.attnum")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            ps.setString(3, role);
            ps.setString(4, role);
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
            return out;
        } catch (SQLException e) {
            throw new CatalogException("cannot read column privileges of " + role + " on " + table.qualifiedName() + ": " + e.getMessage(), e);
        }
    }

    public boolean roleExists(String role) {
        // PostgreSQL text cannot hold NUL, so no such role exists; asking would only produce an encoding error.
        if (role == null || role.indexOf('\u0000') >= 0) return false;
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new CatalogException("cannot look up role " + role + ": " + e.getMessage(), e);
        }
    }

    private Optional<TableInfo> load(String schema, String name) {
        try (Connection c = dataSource.getConnection()) {
            boolean rls;
            char identity;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT c.relrowsecurity, c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                            + "WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')")) {
                ps.setString(1, schema);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    rls = rs.getBoolean(1);
                    identity = rs.getString(2).charAt(0);
                }
            }
            List<ColumnInfo> columns = new ArrayList<>();
            List<Integer> typeOids = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT a.attname, t.typname, a.attnum, coalesce(a.attnum = ANY (i.indkey), false), a.atttypid "
                            + "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                            + "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid "
                            + "LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary "
                            + "WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
                ps.setString(1, schema);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        columns.add(new ColumnInfo(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getBoolean(4), null));
                        typeOids.add(rs.getInt(5));
                    }
                }
            }
            for (int i = 0; i < columns.size(); i++) {
                ColumnInfo col = columns.get(i);
                columns.set(i, new ColumnInfo(col.name(), col.type(), col.position(), col.primaryKey(), type(c, typeOids.get(i), 0)));
            }
            return Optional.of(new TableInfo(schema, name, columns, rls, identity));
        } catch (SQLException e) {
            throw new CatalogException("cannot read the catalog for " + schema + "." + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * The decoding details of type {@code oid}: domains resolve to their base type (as {@code to_jsonb} does),
     * arrays to their element type and delimiter, ranges to their subtype, composites to their fields.
     */
    private PgTypeInfo type(Connection c, int oid, int depth) throws SQLException {
        PgTypeInfo cached = types.get(oid);
        if (cached != null) return cached;
        String name;
        String nspname;
        char typtype;
        char category;
        int elem;
        int base;
        int relid;
        try (PreparedStatement ps = c.prepareStatement("SELECT t.typname, n.nspname, t.typtype, t.typcategory, t.typelem, t.typbasetype, "
                + "t.typrelid FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = ?")) {
            ps.setInt(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return PgTypeInfo.builtin("text");
                name = rs.getString(1);
                nspname = rs.getString(2);
                typtype = rs.getString(3).charAt(0);
                category = rs.getString(4).charAt(0);
                elem = rs.getInt(5);
                base = rs.getInt(6);
                relid = rs.getInt(7);
            }
        }
        PgTypeInfo info;
        if (depth > 16) {
            info = PgTypeInfo.scalar(name, PgTypeInfo.Kind.TEXT);
        } else if (typtype == 'd') {
            info = PgTypeInfo.renamed(name, type(c, base, depth + 1));
        } else if (typtype == 'c') {
            List<PgTypeInfo.Field> fields = new ArrayList<>();
            List<Integer> fieldTypes = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = ? AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
                ps.setInt(1, relid);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        fields.add(new PgTypeInfo.Field(rs.getString(1), null));
                        fieldTypes.add(rs.getInt(2));
                    }
                }
            }
            for (int i = 0; i < fields.size(); i++) fields.set(i, new PgTypeInfo.Field(fields.get(i).name(), type(c, fieldTypes.get(i), depth + 1)));
            info = PgTypeInfo.composite(name, fields);
        } else if (typtype == 'r' || typtype == 'm') {
            int subtype = 0;
            try (PreparedStatement ps = c.prepareStatement("SELECT rngsubtype FROM pg_range WHERE "
                    + (typtype == 'r' ? "rngtypid" : "rngmultitypid") + " = ?")) {
                ps.setInt(1, oid);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) subtype = rs.getInt(1);
                }
            }
            info = PgTypeInfo.range(name, subtype == 0 ? PgTypeInfo.builtin("text") : type(c, subtype, depth + 1), typtype == 'm');
        } else if (category == 'A' && elem != 0) {
            PgTypeInfo element = type(c, elem, depth + 1);
            char delimiter = ',';
            try (PreparedStatement ps = c.prepareStatement("SELECT typdelim FROM pg_type WHERE oid = ?")) {
                ps.setInt(1, elem);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) delimiter = rs.getString(1).charAt(0);
                }
            }
            info = PgTypeInfo.array(name, element, delimiter);
        } else if (typtype == 'b' && nspname.equals("pg_catalog")) {
            info = PgTypeInfo.builtin(name);
        } else {
            info = PgTypeInfo.scalar(name, PgTypeInfo.Kind.TEXT); // enums, extension types, pseudo-types
        }
        types.put(oid, info);
        return info;
    }

    /** A catalog query failed (database unreachable, permissions). */
    public static final class CatalogException extends RuntimeException {
        public CatalogException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
