package dev.herald.runtime.cdc;

import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.policy.RowAuthorizer;
import java.util.List;

/**
 * The change path after the feed: each change is kept in the {@link ChangeLog} (when resume is on), judged per
 * binding by a {@link ChangeAuthorization} (the row gate: column privileges, row policies, row-level security) and
 * routed by the {@link SubscriptionIndex} to its {@link Subscriber}s. A resuming subscriber is registered and gets
 * the logged changes after its position through exactly its own bindings.
 *
 * <p>Threading and ordering: live changes come from the change-feed thread, registrations with replay from the
 * subscription executor; both run under one lock (this object's monitor), so no live change slips between a replay
 * and the live changes that follow it, and each subscriber sees changes in stream order. Unregistering needs no lock.
 */
final class ChangeDispatcher {
    private final SubscriptionIndex index;
    private final ChangeLog changeLog;
    private final boolean logging;
    private final TableCatalog catalog;
    private final RowAuthorizer rowAuthorizer;
    private final RowSecurityEvaluator rls;
    private final HeraldMetrics metrics;

    ChangeDispatcher(SubscriptionIndex index, ChangeLog changeLog, boolean logging, TableCatalog catalog,
                     RowAuthorizer rowAuthorizer, RowSecurityEvaluator rls, HeraldMetrics metrics) {
        this.index = index;
        this.changeLog = changeLog;
        this.logging = logging;
        this.catalog = catalog;
        this.rowAuthorizer = rowAuthorizer;
        this.rls = rls;
        this.metrics = metrics;
    }

    /**
     * Logs {@code e} and delivers it to the subscribers whose bindings match. A change of a table the catalog does
     * not know (dropped since) is neither logged nor delivered.
     *
     * @throws TableCatalog.CatalogException the catalog could not be read
     */
    void dispatch(ChangeEvent e) {
        // The table is looked up before the lock (a cache miss queries the database); whether anyone is bound is
        // decided again under it: a subscriber that registered and replayed meanwhile must get this change live,
        // since its replay ran before the change was logged.
        TableInfo table = logging || index.hasBindingsFor(e.schema(), e.table()) ? catalog.table(e.schema(), e.table()).orElse(null) : null;
        if (table == null) return;
        synchronized (this) {
            if (logging) changeLog.add(table, e, System.currentTimeMillis());
            if (index.hasBindingsFor(e.schema(), e.table())) index.dispatch(table, e, rowGate(index, table, e));
        }
    }

    /**
     * Registers the bindings and, when {@code resumeFrom} is given, replays the logged changes after it through
     * exactly these bindings (so they are re-filtered, re-authorised with the current claims and stamped with the
     * new ids), then tells the subscriber whether its position was still covered.
     *
     * @param feed where the stream stands: its last delivered change and where it resumed from
     */
    void registerAndReplay(Subscriber subscriber, List<PgSubscription> subs, String resumeFrom, ChangeFeed feed) {
        synchronized (this) {
            index.register(subscriber, subs);
            if (resumeFrom == null) return;
            ChangeEvent.StreamPosition since = ChangeEvent.StreamPosition.parse(resumeFrom);
            changeLog.trimAge(System.currentTimeMillis());
            ChangeEvent.StreamPosition last = feed.lastDelivered();
            ChangeEvent.StreamPosition zero = new ChangeEvent.StreamPosition(0, 0);
            // Complete after the last evicted change; with nothing evicted, from the first change this engine saw.
            ChangeEvent.StreamPosition from = feed.resumedFrom();
            ChangeEvent.StreamPosition evictedUpTo = changeLog.evictedUpTo();
            boolean covered = since != null && (evictedUpTo != null ? since.compareTo(evictedUpTo) >= 0
                    : from != null && since.compareTo(from) >= 0 ? true
                    : changeLog.isEmpty() ? last == null ? since.equals(zero) : since.compareTo(last) >= 0
                    : since.compareTo(changeLog.oldestPosition()) >= 0 || since.equals(zero));
            if (!covered) {
                subscriber.changesRecovered(false, 0);
                return;
            }
            SubscriptionIndex only = new SubscriptionIndex((s, e) -> {
                throw new IllegalStateException(e);
            });
            only.register(subscriber, subs);
            int replayed = 0;
            for (ChangeLog.Logged l : changeLog.entries()) {
                if (l.event().position().compareTo(since) <= 0) continue;
                TableInfo table = asNow(l.table());
                if (table == null) continue; // dropped since: nothing to judge it by, so nothing is replayed
                replayed += only.dispatch(table, l.event(), rowGate(only, table, l.event()));
            }
            // The notice goes out under the lock too, so no live change can slip in before it.
            subscriber.changesRecovered(true, replayed);
        }
    }

    void unregister(Subscriber subscriber) {
        index.unregister(subscriber);
    }

    /** Applies the log's age bound, which must hold even when no change arrives and nobody resumes. */
    void trimLog(long now) {
        synchronized (this) {
            changeLog.trimAge(now);
        }
    }

    /**
     * A logged change's table as it was (its columns match the logged images) with today's row-level security, so a
     * replay is judged as a live change would be now: enabling RLS also covers the changes still in the window.
     */
    private TableInfo asNow(TableInfo logged) {
        TableInfo now = catalog.table(logged.schema(), logged.name()).orElse(null);
        if (now == null) return null;
        if (now.rowSecurity() == logged.rowSecurity()) return logged;
        return new TableInfo(logged.schema(), logged.name(), logged.columns(), now.rowSecurity(), logged.replicaIdentity());
    }

    /** What each binding may receive of {@code e}: column privileges and the change's own row images. */
    private ChangeAuthorization rowGate(SubscriptionIndex bindings, TableInfo table, ChangeEvent e) {
        return new ChangeAuthorization(table, e, catalog, rowAuthorizer, rls, metrics, () -> bindings.bindingsFor(table.schema(), table.name()));
    }
}
