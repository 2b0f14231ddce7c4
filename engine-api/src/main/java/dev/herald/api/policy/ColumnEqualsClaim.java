package dev.herald.api.policy;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The declarative row policy {@code column = claim}: a subscriber sees a row when the row's {@code column} equals the
 * value of its claim at {@code claimPath}, e.g. {@code ColumnEqualsClaim("public", "todos", "user_id", "sub")}, the
 * Herald form of the RLS policy {@code using (user_id = auth.uid())}.
 *
 * <p>Both sides are compared by their text: strings and uuids as they are, booleans as {@code true}/{@code false},
 * numbers in plain notation without trailing zeros (so {@code 42}, {@code 42.0} and {@code "42"} are equal). That makes
 * {@code user_id = sub} work for uuid and text columns, and {@code team_id = app_metadata.team} for numeric ones. Any
 * other value (json, dates, bytes, arrays, nested claims), a NULL on either side, or a missing column denies. Text
 * comparison is exact and case-sensitive (PostgreSQL prints uuids in lower case, as Supabase Auth issues them).
 *
 * <p>Immutable and thread-safe; {@link #allows} is pure.
 *
 * @param schema the table's schema
 * @param table the table's name
 * @param column the column compared
 * @param claimPath the claim compared (dot-separated for nested claims)
 */
public record ColumnEqualsClaim(String schema, String table, String column, String claimPath) implements RowPolicy {
    public ColumnEqualsClaim {
        for (String part : new String[] {schema, table, column, claimPath}) {
            if (Objects.requireNonNull(part, "schema, table, column and claimPath are required").isBlank()) {
                throw new IllegalArgumentException("schema, table, column and claimPath must not be blank");
            }
        }
    }

    @Override
    public Set<String> claimKeys() {
        return Set.of(claimPath);
    }

    @Override
    public Set<String> columns() {
        return Set.of(column);
    }

    @Override
    public boolean allows(Map<String, Object> claimProjection, Map<String, Object> row) {
        if (!row.containsKey(column)) return false;
        String value = text(row.get(column));
        return value != null && value.equals(text(claimProjection.get(claimPath)));
    }

    /** The comparable text of a value, or null when it has none. */
    private static String text(Object value) {
        if (value instanceof String || value instanceof UUID || value instanceof Boolean) return value.toString();
        if (value instanceof Number n) {
            try {
                return new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
            } catch (NumberFormatException nanOrInfinity) {
                return null;
            }
        }
        return null;
    }
}
