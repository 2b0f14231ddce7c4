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
