package dev.herald.runtime.policy;

import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the {@link RowPolicy row policies} by table and evaluates them once per distinct claim projection.
 *
 * <p>A projection is the part of a subscriber's claims a policy may read: the values of its
 * {@link RowPolicy#claimKeys() claim keys}. Two principals with equal projections get the same answer for every row,
 * so a caller fanning out one change computes each subscriber's projection once (at subscribe time), groups
 * subscribers by it ({@link #group}) and asks {@link #allows} once per group. Projections are opaque objects with
 * value equality; use them as map keys.
 *
 * <p>Two levels:
 * <ul>
 *   <li>per policy — {@link #projection(RowPolicy, Principal)} and {@link #allows(RowPolicy, Object, Map)};</li>
 *   <li>per table — {@link #projection(String, String, Principal)} over the union of the claim keys of the table's
 *       policies, and {@link #allows(String, String, Object, Map)}: a row is allowed when ANY of the table's policies
 *       allows it (as PostgreSQL combines permissive policies). Each policy still sees only its own keys.</li>
 * </ul>
 * A table without a row policy ({@link #hasPolicy} false) is not decided here: the engine checks it against PostgreSQL.
 *
 * <p>Fail-closed: a row lacking a column a policy declares in {@link RowPolicy#columns()} is denied by that policy
 * without asking it; a policy that throws denies (logged); a projection from another policy or table denies.
 * Immutable and thread-safe.
 */
public final class RowAuthorizer {
    private static final Logger LOG = LoggerFactory.getLogger(RowAuthorizer.class);

    private record TableKey(String schema, String table) {
    }

    /** A policy with its claim keys (sorted) and columns, captured once. */
    private record Compiled(RowPolicy policy, List<String> claimKeys, Set<String> columns) {
        static Compiled of(RowPolicy policy) {
            return new Compiled(policy, List.copyOf(new TreeSet<>(policy.claimKeys())), Set.copyOf(policy.columns()));
        }
    }

    /** The projection of one principal for one policy: claim path → value, keys sorted. */
    private record Projection(RowPolicy policy, Map<String, Object> claims) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Projection p && p.policy == policy && p.claims.equals(claims);
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(policy) * 31 + claims.hashCode();
        }

        @Override
        public String toString() {
            return "Projection" + claims;
        }
    }

    /** The projection of one principal for every policy of a table; equality over the union of claim values. */
    private record TableProjection(TableKey table, Map<String, Object> claims, List<Projection> perPolicy) {
        @Override
        public boolean equals(Object o) {
            return o instanceof TableProjection p && p.table.equals(table) && p.claims.equals(claims);
        }

        @Override
        public int hashCode() {
            return table.hashCode() * 31 + claims.hashCode();
        }

        @Override
        public String toString() {
            return "TableProjection" + claims;
        }
    }

    private final Map<TableKey, List<Compiled>> byTable;
    private final Map<TableKey, List<String>> tableClaimKeys;
    private final Map<RowPolicy, Compiled> byPolicy;

    public RowAuthorizer(Collection<? extends RowPolicy> policies) {
        Map<TableKey, List<Compiled>> tables = new LinkedHashMap<>();
        Map<RowPolicy, Compiled> compiled = new IdentityHashMap<>();
        for (RowPolicy policy : policies) {
            Objects.requireNonNull(policy, "row policy");
            Compiled c = Compiled.of(policy);
            for (String key : c.claimKeys) {
                if (!ClaimPaths.isValid(key)) {
                    throw new IllegalArgumentException("row policy " + policy + ": claim key '" + key + "' is not a claim path");
                }
            }
            compiled.put(policy, c);
            tables.computeIfAbsent(new TableKey(policy.schema(), policy.table()), k -> new ArrayList<>()).add(c);
        }
        Map<TableKey, List<String>> keys = new HashMap<>();
        tables.forEach((table, list) -> {
            TreeSet<String> union = new TreeSet<>();
            list.forEach(c -> union.addAll(c.claimKeys));
            keys.put(table, List.copyOf(union));
        });
        tables.replaceAll((k, v) -> List.copyOf(v));
        this.byTable = Map.copyOf(tables);
        this.tableClaimKeys = Map.copyOf(keys);
        this.byPolicy = Collections.unmodifiableMap(compiled);
    }

    /** An authorizer over {@code policies}. */
    public static RowAuthorizer of(RowPolicy... policies) {
        return new RowAuthorizer(List.of(policies));
    }

    /** Whether Herald decides {@code schema.table} itself (at least one row policy covers it). */
    public boolean hasPolicy(String schema, String table) {
        return byTable.containsKey(new TableKey(schema, table));
    }

    /** The row policies of {@code schema.table}, in registration order (empty when none). */
    public List<RowPolicy> policies(String schema, String table) {
        List<Compiled> list = byTable.get(new TableKey(schema, table));
        if (list == null) return List.of();
        List<RowPolicy> out = new ArrayList<>(list.size());
        list.forEach(c -> out.add(c.policy));
        return out;
    }

    /** The claim paths {@link #projection(String, String, Principal)} reads for {@code schema.table} (sorted). */
    public List<String> claimKeys(String schema, String table) {
        return tableClaimKeys.getOrDefault(new TableKey(schema, table), List.of());
    }

    /**
     * The projection of {@code principal}'s claims for {@code policy}: equal for two principals exactly when their
     * values of the policy's claim keys are equal (absent claims count as null).
     */
    public Object projection(RowPolicy policy, Principal principal) {
        Compiled c = byPolicy.get(policy);
        return project(c != null ? c : Compiled.of(policy), principal);
    }

    /**
     * Whether {@code policy} lets a subscriber with {@code projection} (from {@link #projection(RowPolicy, Principal)}
     * for the same policy) see {@code row}. False on a missing declared column, a foreign projection or an exception.
     */
    public boolean allows(RowPolicy policy, Object projection, Map<String, Object> row) {
        if (!(projection instanceof Projection p) || p.policy != policy || row == null) return false;
        Compiled c = byPolicy.get(policy);
        return evaluate(c != null ? c : Compiled.of(policy), p, row);
    }

    /**
     * The projection of {@code principal} for every policy of {@code schema.table}: equal for two principals exactly
     * when their values of all those policies' claim keys are equal.
     */
    public Object projection(String schema, String table, Principal principal) {
        TableKey key = new TableKey(schema, table);
        List<Compiled> list = byTable.getOrDefault(key, List.of());
        List<Projection> perPolicy = new ArrayList<>(list.size());
        for (Compiled c : list) perPolicy.add(project(c, principal));
        Map<String, Object> union = new LinkedHashMap<>();
        for (String path : tableClaimKeys.getOrDefault(key, List.of())) union.put(path, ClaimPaths.resolve(principal, path));
        return new TableProjection(key, Collections.unmodifiableMap(union), List.copyOf(perPolicy));
    }

    /**
     * Whether a subscriber with {@code projection} (from {@link #projection(String, String, Principal)} for the same
     * table) may see {@code row}: true when ANY policy of the table allows it. False when the table has no policy (ask
     * PostgreSQL instead) or the projection belongs to another table.
     */
    public boolean allows(String schema, String table, Object projection, Map<String, Object> row) {
        if (!(projection instanceof TableProjection p) || !p.table.equals(new TableKey(schema, table)) || row == null) return false;
        List<Compiled> list = byTable.getOrDefault(p.table, List.of());
        for (int i = 0; i < list.size(); i++) {
            if (evaluate(list.get(i), p.perPolicy.get(i), row)) return true;
        }
        return false;
    }

    /**
     * Groups {@code subscribers} by their table projection for {@code schema.table}, keeping encounter order. Evaluate
     * {@link #allows(String, String, Object, Map)} once per key, then deliver to the whole group.
     */
    public <T> Map<Object, List<T>> group(String schema, String table, Iterable<? extends T> subscribers,
                                          Function<? super T, Principal> principalOf) {
        Map<Object, List<T>> groups = new LinkedHashMap<>();
        for (T s : subscribers) {
            groups.computeIfAbsent(projection(schema, table, principalOf.apply(s)), k -> new ArrayList<>()).add(s);
        }
        return groups;
    }

    /**
     * The subscribers allowed to see {@code row} of {@code schema.table}, evaluating the policies once per distinct
     * projection. Empty when the table has no row policy.
     */
    public <T> List<T> permitted(String schema, String table, Map<String, Object> row, Iterable<? extends T> subscribers,
                                 Function<? super T, Principal> principalOf) {
        List<T> out = new ArrayList<>();
        if (!hasPolicy(schema, table)) return out;
        for (Map.Entry<Object, List<T>> g : this.<T>group(schema, table, subscribers, principalOf).entrySet()) {
            if (allows(schema, table, g.getKey(), row)) out.addAll(g.getValue());
        }
        return out;
    }

    private static Projection project(Compiled c, Principal principal) {
        Map<String, Object> claims = new LinkedHashMap<>();
        for (String path : c.claimKeys) claims.put(path, ClaimPaths.resolve(principal, path));
        return new Projection(c.policy, Collections.unmodifiableMap(claims));
    }

    private static boolean evaluate(Compiled c, Projection p, Map<String, Object> row) {
        for (String column : c.columns) {
            if (!row.containsKey(column)) return false;
        }
        try {
            return c.policy.allows(p.claims, Collections.unmodifiableMap(row));
        } catch (RuntimeException e) {
            LOG.warn("Row policy {} failed on {}.{}; treated as deny", c.policy, c.policy.schema(), c.policy.table(), e);
            return false;
        }
    }
}
