package dev.herald.api.policy;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The row policy for shared content: every row of {@code schema.table} is visible to signed-in users (a token with a
 * {@code sub} whose role is not {@code anon}) and to {@code service_role}; anonymous subscribers see none. The guard a
 * plugin gives a published table whose rows are meant for everyone who is logged in (comments, events, campaigns).
 * Immutable and thread-safe; {@link #allows} is pure.
 *
 * @param schema the table's schema
 * @param table the table's name
 */
public record SignedInRows(String schema, String table) implements RowPolicy {
    public SignedInRows {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(table, "table");
    }

    @Override
    public Set<String> claimKeys() {
        return Set.of("sub", "role");
    }

    @Override
    public Set<String> columns() {
        return Set.of();
    }

    @Override
    public boolean allows(Map<String, Object> claimProjection, Map<String, Object> row) {
        Object role = claimProjection.get("role");
        if ("service_role".equals(role)) return true;
        Object sub = claimProjection.get("sub");
        return sub instanceof String s && !s.isEmpty() && role instanceof String r && !r.equals("anon");
    }
}
