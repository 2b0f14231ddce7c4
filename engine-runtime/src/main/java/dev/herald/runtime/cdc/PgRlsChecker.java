package dev.herald.runtime.cdc;

import dev.herald.runtime.protocol.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * PostgreSQL's own row-level security as the judge, for tables with RLS and no in-engine row policy: is the changed
 * row visible when selected by primary key as the subscriber's role, with its claims in {@code request.jwt.claims}
 * (so {@code auth.uid()}-style policies work)? Each call is one short transaction that is always rolled back. The
 * caller asks once per distinct (role, claims) group per change, never once per subscriber.
 */
final class PgRlsChecker {
    private final DataSource dataSource;

    PgRlsChecker(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** One (role, claims) group to check. */
    record Group(String role, Map<String, Object> claims) {
    }

    /**
     * Checks every group in one round trip: a single multi-statement transaction that switches role and claims per
     * group and selects the row, always rolled back. Falls back to one call per group if a value cannot be quoted.
     */
    boolean[] visible(TableInfo table, Map<String, Object> row, List<Group> groups) throws SQLException {
        boolean[] out = new boolean[groups.size()];
        List<ColumnInfo> key = table.columns().stream().filter(ColumnInfo::primaryKey).toList();
        if (key.isEmpty() || groups.isEmpty()) return out;
        StringBuilder where = new StringBuilder();
        for (int i = 0; i < key.size(); i++) {
            Object v = row.get(key.get(i).name());
            if (v == null) return out;
            String lit = dollar(String.valueOf(v));
            if (lit == null) return visibleOneByOne(table, row, groups);
            if (i > 0) where.append(" AND ");
            where.append(PublicationManager.quoteIdent(key.get(i).name())).append(" = CAST(").append(lit).append(" AS ")
                    .append(PublicationManager.quoteIdent(key.get(i).type())).append(')');
        }
        String from = PublicationManager.quoteIdent(table.schema()) + "." + PublicationManager.quoteIdent(table.name());
        StringBuilder sql = new StringBuilder("BEGIN;");
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            String claims;
            try {
                claims = dollar(Json.MAPPER.writeValueAsString(group.claims()));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                claims = null;
            }
            Object subValue = group.claims().get("sub");
            String sub = dollar(subValue == null ? "" : subValue.toString());
            String role = dollar(group.role());
            if (claims == null || sub == null || role == null) return visibleOneByOne(table, row, groups);
            sql.append("SET LOCAL ROLE ").append(PublicationManager.quoteIdent(group.role())).append(';')
                    .append("SELECT set_config('request.jwt.claims', ").append(claims).append(", true), ")
                    .append("set_config('request.jwt.claim.sub', ").append(sub).append(", true), ")
                    .append("set_config('request.jwt.claim.role', ").append(role).append(", true);")
                    .append("SELECT ").append(g).append(" AS herald_visible FROM ").append(from).append(" WHERE ").append(where).append(';');
        }
        sql.append("ROLLBACK;");
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            try {
                boolean isResult = s.execute(sql.toString());
                while (true) {
                    if (isResult) {
                        try (ResultSet rs = s.getResultSet()) {
                            if ("herald_visible".equals(rs.getMetaData().getColumnLabel(1))) {
                                while (rs.next()) out[rs.getInt(1)] = true;
                            }
                        }
                    } else if (s.getUpdateCount() == -1) {
                        break;
                    }
                    isResult = s.getMoreResults();
                }
            } catch (SQLException e) {
                s.execute("ROLLBACK");
                throw e;
            }
        }
        return out;
    }

    private boolean[] visibleOneByOne(TableInfo table, Map<String, Object> row, List<Group> groups) throws SQLException {
        boolean[] out = new boolean[groups.size()];
        for (int i = 0; i < groups.size(); i++) out[i] = visible(table, row, groups.get(i).role(), groups.get(i).claims());
        return out;
    }

    /** {@code s} as a dollar-quoted literal, or null if it contains the quote tag (then the caller binds it). */
    private static String dollar(String s) {
        if (s.contains("$herald$") || s.indexOf('\u0000') >= 0) return null;
        return "$herald$" + s + "$herald$";
    }

    boolean visible(TableInfo table, Map<String, Object> row, String role, Map<String, Object> claims) throws SQLException {
        List<ColumnInfo> key = table.columns().stream().filter(ColumnInfo::primaryKey).toList();
        if (key.isEmpty()) return false;
        StringBuilder sql = new StringBuilder("SELECT 1 FROM ").append(PublicationManager.quoteIdent(table.schema())).append('.')
                .append(PublicationManager.quoteIdent(table.name())).append(" WHERE ");
        for (int i = 0; i < key.size(); i++) {
            if (!row.containsKey(key.get(i).name()) || row.get(key.get(i).name()) == null) return false;
            if (i > 0) sql.append(" AND ");
            sql.append(PublicationManager.quoteIdent(key.get(i).name())).append(" = CAST(? AS ")
                    .append(PublicationManager.quoteIdent(key.get(i).type())).append(')');
        }
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                try (Statement s = c.createStatement()) {
                    s.execute("SET LOCAL ROLE " + PublicationManager.quoteIdent(role));
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT set_config('request.jwt.claims', ?, true), set_config('request.jwt.claim.sub', ?, true), "
                                + "set_config('request.jwt.claim.role', ?, true)")) {
                    ps.setString(1, Json.MAPPER.writeValueAsString(claims));
                    Object sub = claims.get("sub");
                    ps.setString(2, sub == null ? "" : sub.toString());
                    ps.setString(3, role);
                    ps.execute();
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    return false;
                }
                try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                    for (int i = 0; i < key.size(); i++) ps.setString(i + 1, String.valueOf(row.get(key.get(i).name())));
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next();
                    }
                }
            } finally {
                c.rollback();
                c.setAutoCommit(autoCommit);
            }
        }
    }
}
