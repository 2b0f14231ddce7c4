package dev.herald.runtime.cdc;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.herald.runtime.protocol.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL row-level security applied to a change's own row images, not to the table as it is now: a row that was
 * inserted for one user and handed to another in the same transaction is judged as each image says.
 *
 * <p>For each (role, table) the SELECT policies that apply to the role are read once with
 * {@code pg_get_expr(polqual, polrelid)} under {@code search_path = pg_catalog} (so every name in them comes out
 * schema-qualified) and combined as PostgreSQL does: (OR of the permissive ones) AND (AND of the restrictive ones),
 * no permissive policy = deny. Superusers, {@code BYPASSRLS} roles and the owner (unless {@code FORCE ROW LEVEL
 * SECURITY}) bypass; a table without row security lets everyone through. The images are then rebuilt inside
 * PostgreSQL from their text forms as typed parameters ({@code ?::type}, never inserted anywhere) and the combined
 * condition is evaluated under {@code set_config('role', …, true)} with the claims in {@code request.jwt.claims},
 * {@code request.jwt.claim.sub} and {@code request.jwt.claim.role} — every value bound, one round trip for every
 * (role, claims) group and image of a change, always rolled back.
 *
 * <p>Fail closed: a group whose check fails (the policy errors, a claim cannot be represented in PostgreSQL, the
 * database is unreachable) is denied for that change only; {@code onError} counts it and the detail is logged, never
 * shown to clients. A condition naming a column the image lacks (unchanged TOAST value, key-only old image) is a deny.
 * Subqueries inside policies still read other tables as they are when the change is judged. Thread-safe.
 */
final class RowSecurityEvaluator {
    private static final Logger LOG = LoggerFactory.getLogger(RowSecurityEvaluator.class);
    /** The column of the rebuilt rows that numbers the images; lengthened when a table has a column of that name. */
    private static final String IMAGE_COLUMN = "herald image#";
    /** Upper bound of one check statement (a policy's subquery waiting on a lock, or slow), then it is a deny. */
    static final long STATEMENT_TIMEOUT_MS = 2000;
    /** Upper bound of waiting for a lock inside a policy's subquery. */
    static final long LOCK_TIMEOUT_MS = 500;
    /** After a check timed out, that table's changes are withheld from RLS-judged subscribers this long, unasked. */
    static final long STALL_PAUSE_NANOS = 5_000_000_000L;
    /** query_canceled (statement_timeout) and lock_not_available (lock_timeout). */
    private static final Set<String> TIMED_OUT = Set.of("57014", "55P03");

    /** One (role, claims) group of subscribers. */
    record Group(String role, Map<String, Object> claims) {
    }

    /** How a role meets a table's row security: everything, nothing, or rows where {@code condition} holds. */
    private record RoleRule(boolean bypass, String condition) {
        static final RoleRule BYPASS = new RoleRule(true, null);
        static final RoleRule DENY = new RoleRule(false, null);
    }

    /** A table's columns with their types as {@code format_type} spells them (schema-qualified where needed). */
    private record Shape(List<String> names, List<String> types) {
    }

    private final DataSource dataSource;
    private final Consumer<String> onError;
    private final Map<String, RoleRule> rules = new ConcurrentHashMap<>();
    private final Map<String, Shape> shapes = new ConcurrentHashMap<>();
    /** Table → {@link System#nanoTime()} until which its checks are not asked (they timed out). */
    private final Map<String, Long> stalledUntil = new ConcurrentHashMap<>();

    /** {@code onError} receives the detail of every failed check (for counting; it is already logged). */
    RowSecurityEvaluator(DataSource dataSource, Consumer<String> onError) {
        this.dataSource = dataSource;
        this.onError = onError;
    }

    /** Forgets every policy and table shape read (policies, roles or grants changed). */
    void invalidateAll() {
        rules.clear();
        shapes.clear();
    }

    /**
     * {@code result[i][g]}: whether {@code images.get(i)} is visible to {@code groups.get(g)}. Never throws; a
     * failed check is a deny for that group.
     */
    boolean[][] visible(TableInfo table, List<Map<String, Object>> images, List<Group> groups) {
        boolean[][] out = new boolean[images.size()][groups.size()];
        List<Integer> pending = new ArrayList<>();
        List<RoleRule> pendingRules = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            String problem = unrepresentable(group);
            if (problem != null) {
                fail(table, group, problem);
                continue;
            }
            RoleRule rule;
            try {
                rule = rule(table, group.role());
            } catch (SQLException e) {
                fail(table, group, "cannot read the row-level security policies: " + e.getMessage());
                continue;
            }
            if (rule.bypass()) {
                for (boolean[] row : out) row[g] = true;
            } else if (rule.condition() != null) {
                pending.add(g);
                pendingRules.add(rule);
            }
        }
        if (pending.isEmpty()) return out;
        Shape shape;
        try {
            shape = shape(table, images);
        } catch (SQLException e) {
            for (int g : pending) fail(table, groups.get(g), "cannot read the table's columns: " + e.getMessage());
            return out;
        }
        if (shape == null) {
            for (int g : pending) fail(table, groups.get(g), "a change carries columns the table does not have");
            return out;
        }
        Long until = stalledUntil.get(table.qualifiedName());
        if (until != null && System.nanoTime() - until < 0) {
            for (int g : pending) fail(table, groups.get(g), "its policy checks timed out moments ago; withheld without asking");
            return out;
        }
        try {
            run(table, shape, images, groups, pending, pendingRules, out);
        } catch (SQLException batch) {
            if (TIMED_OUT.contains(batch.getSQLState())) {
                // Asking again, group by group, would wait again for each: deny them all and give the table a pause.
                stalledUntil.put(table.qualifiedName(), System.nanoTime() + STALL_PAUSE_NANOS);
                for (int g : pending) fail(table, groups.get(g), batch.getMessage());
                return out;
            }
            if (batch.getSQLState() == null || batch.getSQLState().startsWith("08")) {
                // No connection (or no answer): asking group by group would only wait as many times.
                for (int g : pending) fail(table, groups.get(g), batch.getMessage());
                return out;
            }
            // One group's policy failed and took the round trip with it: ask again one group at a time, so only the
            // failing groups are denied.
            for (int k = 0; k < pending.size(); k++) {
                int g = pending.get(k);
                try {
                    run(table, shape, images, groups, List.of(g), List.of(pendingRules.get(k)), out);
                } catch (SQLException e) {
                    fail(table, groups.get(g), e.getMessage());
                }
            }
        }
        return out;
    }

    private void fail(TableInfo table, Group group, String detail) {
        LOG.warn("row-level security check on {} for role {} failed; change withheld from that group: {}",
                table.qualifiedName(), group.role(), detail);
        onError.accept(detail);
    }

    /** Why the group's role or claims cannot be handed to PostgreSQL (text cannot hold NUL), or null. */
    private static String unrepresentable(Group group) {
        if (group.role() == null || group.role().indexOf('\u0000') >= 0) return "the role name contains a NUL character";
        String claims;
        try {
            claims = Json.MAPPER.writeValueAsString(group.claims());
        } catch (JsonProcessingException e) {
            return "the claims cannot be written as JSON";
        }
        // A raw NUL cannot be bound as text, an escaped one (\u0000) is refused by jsonb.
        if (claims.indexOf('\u0000') >= 0 || claims.contains("\\u0000")) return "the claims contain a NUL character";
        return null;
    }

    private void run(TableInfo table, Shape shape, List<Map<String, Object>> images, List<Group> groups, List<Integer> pending,
                     List<RoleRule> pendingRules, boolean[][] out) throws SQLException {
        // The check runs on the change feed's thread: a policy waiting on a lock (or just slow) must cost a bounded
        // time and then count as a deny, never hold up every other table's subscribers.
        StringBuilder sql = new StringBuilder("BEGIN;SELECT set_config('statement_timeout', ?, true), set_config('lock_timeout', ?, true);");
        List<String> params = new ArrayList<>();
        params.add(STATEMENT_TIMEOUT_MS + "ms");
        params.add(LOCK_TIMEOUT_MS + "ms");
        String alias = PublicationManager.quoteIdent(table.name());
        String imageColumn = imageColumn(shape);
        StringBuilder columnList = new StringBuilder(PublicationManager.quoteIdent(imageColumn));
        for (String n : shape.names()) columnList.append(", ").append(PublicationManager.quoteIdent(n));
        int statements = 0;
        for (int k = 0; k < pending.size(); k++) {
            int g = pending.get(k);
            Group group = groups.get(g);
            String condition = pendingRules.get(k).condition();
            StringBuilder rows = new StringBuilder();
            List<String> rowParams = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                Map<String, Object> image = images.get(i);
                if (namesMissingColumn(condition, shape, image)) continue;
                if (rows.length() > 0) rows.append(", ");
                rows.append('(').append(i);
                for (int c = 0; c < shape.names().size(); c++) {
                    rows.append(", ?::").append(shape.types().get(c));
                    rowParams.add(PgTextForms.of(PgRow.raw(image, shape.names().get(c))));
                }
                rows.append(')');
            }
            if (rows.length() == 0) continue;
            Object sub = group.claims().get("sub");
            sql.append("SELECT set_config('search_path', 'pg_catalog, public', true), set_config('role', ?, true), ")
                    .append("set_config('request.jwt.claims', ?, true), set_config('request.jwt.claim.sub', ?, true), ")
                    .append("set_config('request.jwt.claim.role', ?, true);");
            params.add(group.role());
            params.add(writeClaims(group.claims()));
            params.add(sub == null ? "" : sub.toString());
            params.add(group.role());
            sql.append("SELECT ").append(g).append(" AS herald_group, ").append(PublicationManager.quoteIdent(imageColumn))
                    .append(" FROM (VALUES ").append(rows).append(") AS ").append(alias).append(" (").append(columnList).append(") WHERE ")
                    .append(escapePlaceholders(condition)).append(';');
            params.addAll(rowParams);
            statements++;
        }
        if (statements == 0) return;
        sql.append("ROLLBACK;");
        boolean[][] found = new boolean[out.length][out.length == 0 ? 0 : out[0].length];
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < params.size(); i++) ps.setString(i + 1, params.get(i));
            try {
                boolean isResult = ps.execute();
                while (true) {
                    if (isResult) {
                        try (ResultSet rs = ps.getResultSet()) {
                            if ("herald_group".equals(rs.getMetaData().getColumnLabel(1))) {
                                while (rs.next()) found[rs.getInt(2)][rs.getInt(1)] = true;
                            }
                        }
                    } else if (ps.getUpdateCount() == -1) {
                        break;
                    }
                    isResult = ps.getMoreResults();
                }
            } catch (SQLException e) {
                try (Statement s = c.createStatement()) {
                    s.execute("ROLLBACK");
                } catch (SQLException ignored) {
                    // The connection is broken; the pool discards it.
                }
                throw e;
            }
        }
        for (int i = 0; i < out.length; i++) {
            for (int g : pending) out[i][g] = found[i][g];
        }
    }

    private static String imageColumn(Shape shape) {
        String name = IMAGE_COLUMN;
        while (shape.names().contains(name)) name = name + "#";
        return name;
    }

    /**
     * The JDBC driver reads every {@code ?} outside literals, quoted identifiers and comments as a parameter; a
     * policy's own operators ({@code ?}, {@code ?|}, {@code ?&}, {@code @?}) are doubled, the driver's escape for a
     * literal question mark. {@code pg_get_expr} output has no dollar quotes or comments; string literals
     * ({@code '…'} with {@code ''}, {@code E'…'} with backslash escapes) and identifiers ({@code "…"}) are kept as
     * they are.
     */
    static String escapePlaceholders(String condition) {
        if (condition.indexOf('?') < 0) return condition;
        StringBuilder out = new StringBuilder(condition.length() + 8);
        int i = 0;
        int n = condition.length();
        while (i < n) {
            char c = condition.charAt(i);
            if (c == '\'' || c == '"') {
                boolean backslashes = c == '\'' && i > 0 && (condition.charAt(i - 1) == 'E' || condition.charAt(i - 1) == 'e')
                        && (i < 2 || !Character.isLetterOrDigit(condition.charAt(i - 2)) && condition.charAt(i - 2) != '_');
                int j = i + 1;
                while (j < n) {
                    char d = condition.charAt(j);
                    if (backslashes && d == '\\') {
                        j += 2;
                        continue;
                    }
                    if (d == c) {
                        if (j + 1 < n && condition.charAt(j + 1) == c) {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j++;
                }
                int end = Math.min(j + 1, n);
                out.append(condition, i, end);
                i = end;
                continue;
            }
            out.append(c);
            if (c == '?') out.append('?');
            i++;
        }
        return out.toString();
    }

    private static String writeClaims(Map<String, Object> claims) {
        try {
            return Json.MAPPER.writeValueAsString(claims);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // ruled out by unrepresentable()
        }
    }

    /** Whether {@code condition} names a column that {@code image} does not carry (fail closed rather than read NULL). */
    private static boolean namesMissingColumn(String condition, Shape shape, Map<String, Object> image) {
        for (String n : shape.names()) {
            if (image.containsKey(n)) continue;
            String quoted = PublicationManager.quoteIdent(n);
            if (condition.contains(quoted)) return true;
            if (Pattern.compile("(?<![\\w$\"])" + Pattern.quote(n) + "(?![\\w$\"])").matcher(condition).find()) return true;
        }
        return false;
    }

    private Shape shape(TableInfo table, List<Map<String, Object>> images) throws SQLException {
        Shape s = shapes.get(table.qualifiedName());
        if (s == null || !covers(s, images)) {
            s = loadShape(table);
            shapes.put(table.qualifiedName(), s);
        }
        return covers(s, images) ? s : null;
    }

    private static boolean covers(Shape s, List<Map<String, Object>> images) {
        for (Map<String, Object> image : images) if (!s.names().containsAll(image.keySet())) return false;
        return true;
    }

    private Shape loadShape(TableInfo table) throws SQLException {
        List<String> names = new ArrayList<>();
        List<String> types = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("SELECT set_config('search_path', 'pg_catalog', true)")) {
                    ps.execute();
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                                + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ? "
                                + "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
                    ps.setString(1, table.schema());
                    ps.setString(2, table.name());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            names.add(rs.getString(1));
                            types.add(rs.getString(2));
                        }
                    }
                }
            } finally {
                c.rollback();
                c.setAutoCommit(autoCommit);
            }
        }
        return new Shape(List.copyOf(names), List.copyOf(types));
    }

    private RoleRule rule(TableInfo table, String role) throws SQLException {
        String key = role + "\u0000" + table.qualifiedName();
        RoleRule r = rules.get(key);
        if (r == null) {
            r = loadRule(table, role);
            rules.put(key, r);
        }
        return r;
    }

    private RoleRule loadRule(TableInfo table, String role) throws SQLException {
        List<String> permissive = new ArrayList<>();
        List<String> restrictive = new ArrayList<>();
        boolean any = false;
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("SELECT set_config('search_path', 'pg_catalog', true)")) {
                    ps.execute();
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT r.rolsuper OR r.rolbypassrls, pg_has_role(r.oid, c.relowner, 'USAGE'), c.relrowsecurity, c.relforcerowsecurity, "
                                + "p.polpermissive, pg_get_expr(p.polqual, p.polrelid), p.oid IS NOT NULL "
                                + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.rolname = ? "
                                + "LEFT JOIN pg_policy p ON p.polrelid = c.oid AND p.polcmd IN ('r', '*') "
                                + "AND ('0'::oid = ANY (p.polroles) OR EXISTS (SELECT 1 FROM unnest(p.polroles) x WHERE x <> '0'::oid "
                                + "AND pg_has_role(r.oid, x, 'USAGE'))) "
                                + "WHERE n.nspname = ? AND c.relname = ? ORDER BY p.polname")) {
                    ps.setString(1, role);
                    ps.setString(2, table.schema());
                    ps.setString(3, table.name());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            if (!any) {
                                any = true;
                                boolean privileged = rs.getBoolean(1);
                                boolean owner = rs.getBoolean(2);
                                boolean rowSecurity = rs.getBoolean(3);
                                boolean forced = rs.getBoolean(4);
                                if (!rowSecurity || privileged || (owner && !forced)) return RoleRule.BYPASS;
                            }
                            if (!rs.getBoolean(7)) continue;
                            // A SELECT-capable policy without USING admits nothing.
                            String qual = rs.getString(6) == null ? "false" : rs.getString(6);
                            (rs.getBoolean(5) ? permissive : restrictive).add("(" + qual + ")");
                        }
                    }
                }
            } finally {
                c.rollback();
                c.setAutoCommit(autoCommit);
            }
        }
        if (!any || permissive.isEmpty()) return RoleRule.DENY;
        StringBuilder condition = new StringBuilder("(").append(String.join(" OR ", permissive)).append(')');
        for (String r : restrictive) condition.append(" AND ").append(r);
        return new RoleRule(false, condition.toString());
    }
}
