package dev.herald.runtime.cdc;

import dev.herald.api.ErrorCode;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.policy.RowAuthorizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each binding may receive of one change, on every delivery path (live, replay, resume): the columns its role
 * may select now, and whether it may see the change's row images, each judged on its own.
 *
 * <ul>
 *   <li>Columns: the role's selectable columns of the table (cached by {@link TableCatalog}, refreshed when grants
 *       change) narrow every binding's columns, explicit or wildcard. A binding whose role may not select every
 *       primary-key column gets nothing of the table (counted as {@link ErrorCode#COLUMN_PRIVILEGE_DENIED}).</li>
 *   <li>Rows: INSERT and UPDATE are decided on the new image; an UPDATE's {@code old_record} is shown only if the old
 *       image passes too; a {@code leave} binding gets a leave event (its {@code record} cut to the key unless the
 *       new image is visible to it) only if the old image was visible to it. A DELETE is judged on its old image;
 *       without {@code REPLICA IDENTITY FULL} that image is the key only and a PostgreSQL-RLS table delivers it
 *       key-only, as Supabase does. In-engine row policies see the images directly (fail closed on missing
 *       columns); PostgreSQL RLS is evaluated by {@link RowSecurityEvaluator}, once for all (role, claims) groups.</li>
 * </ul>
 * Memoised per change so the work grows with distinct claim groups, not with subscribers. Used on one thread.
 */
final class ChangeAuthorization implements SubscriptionIndex.Access {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeAuthorization.class);

    private final TableInfo table;
    private final ChangeEvent event;
    private final TableCatalog catalog;
    private final RowAuthorizer rowAuthorizer;
    private final RowSecurityEvaluator rls;
    private final HeraldMetrics metrics;
    private final Supplier<? extends Iterable<PgSubscription>> bindings;
    private final boolean policy;
    /** The images to judge: 0 = the current one (new, or old for DELETE), 1 = the old image of an UPDATE. */
    private final List<Map<String, Object>> images = new ArrayList<>();
    private final Map<Object, boolean[]> byProjection = new HashMap<>();
    private Map<RowSecurityEvaluator.Group, boolean[]> byClaims;
    private final Map<String, List<String>> columnsByRole = new HashMap<>();
    private String lastRole;
    private List<String> lastColumns;

    /**
     * {@code bindings}: every binding that may receive changes of the table, for batching the RLS groups; asked only
     * when PostgreSQL RLS has to be evaluated.
     */
    ChangeAuthorization(TableInfo table, ChangeEvent event, TableCatalog catalog, RowAuthorizer rowAuthorizer,
                        RowSecurityEvaluator rls, HeraldMetrics metrics, Supplier<? extends Iterable<PgSubscription>> bindings) {
        this.table = table;
        this.event = event;
        this.catalog = catalog;
        this.rowAuthorizer = rowAuthorizer;
        this.rls = rls;
        this.metrics = metrics;
        this.bindings = bindings;
        this.policy = rowAuthorizer.hasPolicy(table.schema(), table.name());
        images.add(event.type() == ChangeEvent.Type.DELETE ? event.oldRow() : event.rowAfter());
        if (event.type() == ChangeEvent.Type.UPDATE && table.fullReplicaIdentity() && !event.oldRow().isEmpty()) images.add(event.oldRow());
    }

    @Override
    public SubscriptionIndex.Delivery delivery(PgSubscription s, boolean matchedNow, boolean matchedBefore) {
        List<String> columns;
        try {
            columns = columns(s.role());
        } catch (RuntimeException e) {
            LOG.warn("cannot read column privileges of {} on {}; change withheld: {}", s.role(), table.qualifiedName(), e.toString());
            metrics.drop(ErrorCode.ROW_CHECK_FAILED);
            return null;
        }
        if (columns == null) {
            metrics.drop(ErrorCode.COLUMN_PRIVILEGE_DENIED);
            return null;
        }
        if (filtersOnHiddenColumn(s, columns)) {
            // The filter was accepted while the role could read its column; matching on it now would reveal the
            // value of a column the role may no longer select.
            metrics.drop(ErrorCode.COLUMN_PRIVILEGE_DENIED);
            return null;
        }
        List<String> cols = columns.size() == table.columns().size() ? null : columns;
        SubscriptionIndex.Delivery d = rows(s, matchedNow, matchedBefore, cols);
        if (d == null && (policy || table.rowSecurity())) metrics.drop(ErrorCode.ROW_POLICY_DENIED);
        return d;
    }

    private static boolean filtersOnHiddenColumn(PgSubscription s, List<String> columns) {
        if (s.predicate() == null) return false;
        for (String c : s.predicate().columns()) if (!columns.contains(c)) return true;
        return false;
    }

    private SubscriptionIndex.Delivery rows(PgSubscription s, boolean matchedNow, boolean matchedBefore, List<String> cols) {
        if (!policy && !table.rowSecurity()) return deliver(cols, false, true);
        switch (event.type()) {
            case INSERT:
                return matchedNow && visible(s, 0) ? deliver(cols, false, true) : null;
            case DELETE:
                if (!matchedNow) return null;
                // Without FULL the old image is the key: PostgreSQL RLS cannot judge it, and it is delivered key-only.
                if (!policy && !table.fullReplicaIdentity()) return deliver(cols, false, true);
                return visible(s, 0) ? deliver(cols, false, true) : null;
            default:
                break;
        }
        boolean hasOld = images.size() > 1;
        boolean newOk = visible(s, 0);
        boolean oldOk = hasOld && visible(s, 1);
        if (matchedNow && newOk) return deliver(cols, false, !hasOld || oldOk);
        if (s.leave() && oldOk && (matchedBefore || matchedNow)) return deliver(cols, !newOk, true);
        return null;
    }

    private static SubscriptionIndex.Delivery deliver(List<String> cols, boolean recordKeyOnly, boolean oldRecord) {
        return cols == null && !recordKeyOnly && oldRecord ? SubscriptionIndex.Delivery.FULL : new SubscriptionIndex.Delivery(cols, recordKeyOnly, oldRecord);
    }

    /** The columns {@code role} may select, in attribute order; null when that leaves out part of the primary key. */
    private List<String> columns(String role) {
        // Thousands of bindings usually share one or two roles: the last answer first, without hashing.
        if (role.equals(lastRole)) return lastColumns;
        List<String> out = columnsFor(role);
        lastRole = role;
        lastColumns = out;
        return out;
    }

    private List<String> columnsFor(String role) {
        if (columnsByRole.containsKey(role)) return columnsByRole.get(role);
        List<String> visible = catalog.visibleColumns(role, table);
        List<String> out = visible;
        for (ColumnInfo c : table.columns()) {
            if (c.primaryKey() && !visible.contains(c.name())) {
                out = null;
                break;
            }
        }
        if (out != null && out.isEmpty()) out = null;
        columnsByRole.put(role, out);
        return out;
    }

    private boolean visible(PgSubscription s, int image) {
        if (image >= images.size()) return false;
        if (policy) {
            // Wildcard bindings cover tables they did not name at subscribe time; their projection is computed here.
            Object projection = s.rowProjection() != null && s.table() != null ? s.rowProjection()
                    : rowAuthorizer.projection(table.schema(), table.name(), s.principal());
            boolean[] v = byProjection.computeIfAbsent(projection, p -> {
                boolean[] out = new boolean[images.size()];
                for (int i = 0; i < out.length; i++) out[i] = rowAuthorizer.allows(table.schema(), table.name(), p, images.get(i));
                return out;
            });
            return v[image];
        }
        if (byClaims == null) byClaims = checkAllGroups();
        boolean[] v = byClaims.get(new RowSecurityEvaluator.Group(s.role(), s.principal().claims()));
        return v != null && v[image];
    }

    /** One round trip for every distinct (role, claims) among the table's bindings. */
    private Map<RowSecurityEvaluator.Group, boolean[]> checkAllGroups() {
        LinkedHashMap<RowSecurityEvaluator.Group, Integer> groups = new LinkedHashMap<>();
        for (PgSubscription b : bindings.get()) groups.putIfAbsent(new RowSecurityEvaluator.Group(b.role(), b.principal().claims()), groups.size());
        List<RowSecurityEvaluator.Group> list = new ArrayList<>(groups.keySet());
        boolean[][] visible = rls.visible(table, images, list);
        Map<RowSecurityEvaluator.Group, boolean[]> out = new HashMap<>();
        for (int g = 0; g < list.size(); g++) {
            boolean[] v = new boolean[images.size()];
            for (int i = 0; i < v.length; i++) v[i] = visible[i][g];
            out.put(list.get(g), v);
        }
        return out;
    }
}
