package dev.herald.runtime.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.cdc.filter.Condition;
import dev.herald.runtime.cdc.filter.FilterCompiler;
import dev.herald.runtime.cdc.filter.FilterException;
import dev.herald.runtime.cdc.filter.FilterParser;
import dev.herald.runtime.cdc.filter.RowPredicate;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.policy.Principals;
import dev.herald.runtime.policy.RowAuthorizer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The postgres_changes feature: keeps the publication current, runs the {@link CdcSource}, validates and registers
 * subscriptions, and dispatches each change through the {@link SubscriptionIndex}. Subscription work (catalog
 * queries) runs on its own executor, never on a socket thread or the change-feed thread. Thread-safe.
 */
public final class CdcService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CdcService.class);
    /** Slot lag above which the feed reports itself as lagging. */
    static final long LAGGING_BYTES = 64L * 1024 * 1024;

    /** Outcome of registering a subscriber's bindings: ok, or the error text for the {@code system} message. */
    public record SubscribeResult(boolean ok, String message) {
    }

    private final Database database;
    private final TableCatalog catalog;
    private final PublicationManager publications;
    private final DebeziumCdcSource.Settings settings;
    private final CdcSource.Factory sources;
    private final SubscriptionIndex index;
    private final HeraldMetrics metrics;
    private final RowAuthorizer rowAuthorizer;
    private final RowSecurityEvaluator rls;
    private final AuthorizationCatalogWatch authorizationWatch;
    private final ExecutorService subscriptionWork = Executors.newSingleThreadExecutor(daemon("herald-cdc-subscribe"));
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(daemon("herald-cdc-housekeeping"));
    private final AtomicLong slotLagBytes = new AtomicLong(-1);
    private final Counter events;
    private volatile CdcSource source;
    private volatile ChangeEvent.StreamPosition lastDelivered;
    /** Held while a change is logged and dispatched, and while a resuming subscriber registers and replays. */
    private final Object dispatchLock = new Object();
    private final ChangeLog changeLog;
    /** Where a clean stop of the previous engine left off (null after a crash): the log is complete from there. */
    private volatile ChangeEvent.StreamPosition resumedFrom;
    private final int replayMaxMessages;
    private final long replayMaxAgeMs;

    public CdcService(Database database, DebeziumCdcSource.Settings settings, List<String> tablePatterns, HeraldMetrics metrics,
                      RowAuthorizer rowAuthorizer, int replayMaxMessages, long replayMaxAgeMs, long replayMaxBytes,
                      CdcSource.Factory sources) {
        this.changeLog = new ChangeLog(replayMaxMessages, replayMaxBytes, replayMaxAgeMs);
        this.database = database;
        this.replayMaxMessages = replayMaxMessages;
        this.replayMaxAgeMs = replayMaxAgeMs;
        this.rowAuthorizer = rowAuthorizer;
        this.rls = new RowSecurityEvaluator(database.dataSource(), detail -> metrics.drop(dev.herald.api.ErrorCode.ROW_CHECK_FAILED));
        this.settings = settings;
        this.sources = sources;
        this.metrics = metrics;
        this.catalog = new TableCatalog(database.dataSource());
        this.authorizationWatch = new AuthorizationCatalogWatch(database.dataSource(), () -> {
            catalog.invalidateAll();
            rls.invalidateAll();
        });
        this.publications = new PublicationManager(database.dataSource(), settings.publication(), tablePatterns);
        this.index = new SubscriptionIndex((s, e) -> {
            LOG.warn("postgres_changes binding {} of {} failed: {}", s.id(), s.subscriber().topic(), e.toString());
            s.subscriber().bindingFailed(e);
        });
        this.events = Counter.builder("herald.cdc.events").description("Row changes received from the change feed")
                .register(metrics.registry());
        Gauge.builder("herald.cdc.up", this, s -> s.source != null && s.source.state() == CdcSource.State.RUNNING ? 1 : 0)
                .description("1 while the change feed is streaming").register(metrics.registry());
        Gauge.builder("herald.cdc.slot.lag.bytes", slotLagBytes, AtomicLong::get)
                .description("WAL retained by Herald's replication slot (-1 unknown)").register(metrics.registry());
        Gauge.builder("herald.cdc.last.lsn", this, s -> s.source == null ? 0 : s.source.lastLsn())
                .description("LSN of the last change handed to subscribers").register(metrics.registry());
    }

    /**
     * As {@link #CdcService(Database, DebeziumCdcSource.Settings, List, HeraldMetrics, RowAuthorizer, int, long, long,
     * CdcSource.Factory)} with the Debezium source. Only for callers not yet passing a source factory: binding failures
     * reach {@link Subscriber#bindingFailed}, so {@code unusedFailure} is never called.
     */
    @Deprecated
    public CdcService(Database database, DebeziumCdcSource.Settings settings, List<String> tablePatterns, HeraldMetrics metrics,
                      RowAuthorizer rowAuthorizer, int replayMaxMessages, long replayMaxAgeMs, long replayMaxBytes,
                      BiConsumer<PgSubscription, Exception> unusedFailure) {
        this(database, settings, tablePatterns, metrics, rowAuthorizer, replayMaxMessages, replayMaxAgeMs, replayMaxBytes, DebeziumCdcSource::new);
    }

    /** Prepares the database (schema, publication) and starts streaming. */
    public void start() throws SQLException {
        database.migrate();
        database.checkReplicationReady();
        resumedFrom = loadStopPosition();
        // Changes up to there were handed out before the stop; a re-read of them must not reach clients again.
        lastDelivered = resumedFrom;
        publications.ensureExists();
        publications.reconcile();
        authorizationWatch.check();
        startSource();
        housekeeping.scheduleWithFixedDelay(this::housekeeping, 2, 2, TimeUnit.SECONDS);
    }

    private synchronized void startSource() {
        source = sources.create(settings, database.dataSource(), catalog, metrics::drop);
        source.start(this::onChanges);
    }

    /** Stops and restarts the source (operations, and the restart test); delivery resumes without duplicates. */
    public synchronized void restartSource() {
        source.close();
        startSource();
    }

    private long nextRestartAt;
    private long restartBackoffMs = 2_000;

    /**
     * The database went away (restart, network): Debezium stops with an error. Start it again with a growing
     * backoff (2 s to 60 s); it resumes from its stored offsets, so nothing is lost.
     */
    private synchronized void restartIfFailed() {
        CdcSource s = source;
        if (s == null || s.state() != CdcSource.State.FAILED) {
            if (s != null && s.state() == CdcSource.State.RUNNING) restartBackoffMs = 2_000;
            return;
        }
        long now = System.currentTimeMillis();
        if (now < nextRestartAt) return;
        nextRestartAt = now + restartBackoffMs;
        restartBackoffMs = Math.min(60_000, restartBackoffMs * 2);
        LOG.warn("change capture failed ({}); restarting it", s.lastError());
        try {
            s.close();
            catalog.invalidateAll();
            startSource();
        } catch (RuntimeException e) {
            LOG.warn("change capture restart failed: {}", e.toString());
        }
    }

    /** Blocks until the source streams or {@code timeoutMs} passes. */
    public boolean awaitRunning(long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            CdcSource s = source;
            if (s != null && s.state() == CdcSource.State.RUNNING) return true;
            if (s != null && s.state() == CdcSource.State.FAILED) return false;
            Thread.sleep(50);
        }
        return false;
    }

    public String state() {
        CdcSource s = source;
        if (s == null) return "stopped";
        return switch (s.state()) {
            case RUNNING -> slotLagBytes.get() > LAGGING_BYTES ? "lagging" : "running";
            case FAILED -> "failed";
            case STARTING -> "starting";
            case STOPPED -> "stopped";
        };
    }

    public boolean healthy() {
        CdcSource s = source;
        return s != null && s.state() == CdcSource.State.RUNNING;
    }

    public String lastError() {
        CdcSource s = source;
        return s == null ? null : s.lastError();
    }

    public long slotLagBytes() {
        return slotLagBytes.get();
    }

    public TableCatalog catalog() {
        return catalog;
    }

    public PublicationManager publications() {
        return publications;
    }

    // ---- delivery -----------------------------------------------------------------------------------------------

    private void onChanges(List<ChangeEvent> batch) {
        for (ChangeEvent e : batch) {
            events.increment();
            eventRate.add(1);
            ChangeEvent.StreamPosition last = lastDelivered;
            // A restarted source replays from its last flushed offset; connected clients must not see repeats.
            if (last != null && e.position().compareTo(last) <= 0) continue;
            lastDelivered = e.position();
            try {
                boolean bound = index.hasBindingsFor(e.schema(), e.table());
                TableInfo table = bound || replayMaxMessages > 0 ? catalog.table(e.schema(), e.table()).orElse(null) : null;
                if (table != null) {
                    synchronized (dispatchLock) {
                        if (replayMaxMessages > 0) logChange(table, e);
                        if (bound) index.dispatch(table, e, authorization(index, table, e));
                    }
                }
            } catch (TableCatalog.CatalogException ex) {
                throw ex; // the database is unreachable: the source fails and resumes from this batch
            } catch (RuntimeException | StackOverflowError ex) {
                // One change must never stop the feed: skip it (counted, logged without its content), go on.
                metrics.drop(dev.herald.api.ErrorCode.CHANGE_NOT_DELIVERABLE);
                LOG.error("{}", dev.herald.api.ErrorCode.CHANGE_NOT_DELIVERABLE.message(e.schema() + "." + e.table() + " at LSN "
                        + DebeziumCdcSource.lsn(e.position().lsn()), DebeziumCdcSource.where(ex)));
            }
            // Plugin hooks run after fan-out and before the batch is acknowledged: at least once.
            java.util.function.Consumer<ChangeEvent> after = afterFanOut;
            if (after != null) after.accept(e);
        }
    }

    private volatile java.util.function.Consumer<ChangeEvent> afterFanOut;

    /** Something to run for every change after subscribers got it (plugin table hooks); set before {@link #start()}. */
    public void afterFanOut(java.util.function.Consumer<ChangeEvent> listener) {
        this.afterFanOut = listener;
    }

    private void logChange(TableInfo table, ChangeEvent e) {
        long now = System.currentTimeMillis();
        changeLog.add(table, e, now);
    }

    /** The position of the newest change seen by the feed (for join replies). */
    public String currentPosition() {
        ChangeEvent.StreamPosition last = lastDelivered;
        return position(last == null ? new ChangeEvent.StreamPosition(0, 0) : last);
    }

    /** The text form of a change position: {@code c:<last commit LSN>:<LSN>} in hex. */
    public static String position(ChangeEvent.StreamPosition p) {
        return String.format("c:%016X:%016X", p.lastCommitLsn(), p.lsn());
    }

    static ChangeEvent.StreamPosition parsePosition(String text) {
        String[] parts = text == null ? new String[0] : text.split(":");
        if (parts.length != 3 || !parts[0].equals("c")) return null;
        try {
            return new ChangeEvent.StreamPosition(Long.parseUnsignedLong(parts[1], 16), Long.parseUnsignedLong(parts[2], 16));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Registers the bindings and, when asked, replays the logged changes after {@code resumeFrom} through exactly
     * these bindings (so they are re-filtered, re-authorised with the current claims and stamped with the new ids).
     * Runs under the dispatch lock: the change feed cannot slip a change between the replay and live delivery.
     */
    private SubscribeResult registerAndReplay(Subscriber subscriber, List<PgSubscription> subs, String resumeFrom) {
        synchronized (dispatchLock) {
            index.register(subscriber, subs);
            if (resumeFrom == null) return new SubscribeResult(true, "Subscribed to PostgreSQL");
            ChangeEvent.StreamPosition since = parsePosition(resumeFrom);
            long now = System.currentTimeMillis();
            changeLog.trimAge(now);
            ChangeEvent.StreamPosition last = lastDelivered;
            ChangeEvent.StreamPosition zero = new ChangeEvent.StreamPosition(0, 0);
            // Complete after the last evicted change; with nothing evicted, from the first change this engine saw.
            ChangeEvent.StreamPosition from = resumedFrom;
            ChangeEvent.StreamPosition evictedUpTo = changeLog.evictedUpTo();
            boolean covered = since != null && (evictedUpTo != null ? since.compareTo(evictedUpTo) >= 0
                    : from != null && since.compareTo(from) >= 0 ? true
                    : changeLog.isEmpty() ? last == null ? since.equals(zero) : since.compareTo(last) >= 0
                    : since.compareTo(changeLog.oldestPosition()) >= 0 || since.equals(zero));
            if (!covered) {
                subscriber.changesRecovered(false, 0);
                return new SubscribeResult(true, "Subscribed to PostgreSQL");
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
                replayed += only.dispatch(table, l.event(), authorization(only, table, l.event()));
            }
            // The notice goes out under the lock too, so no live change can slip in before it.
            subscriber.changesRecovered(true, replayed);
            return new SubscribeResult(true, "Subscribed to PostgreSQL");
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
    private ChangeAuthorization authorization(SubscriptionIndex bindings, TableInfo table, ChangeEvent e) {
        return new ChangeAuthorization(table, e, catalog, rowAuthorizer, rls, metrics, () -> bindings.bindingsFor(table.schema(), table.name()));
    }

    private void housekeeping() {
        restartIfFailed();
        // Grants, policies and role memberships are re-read when they change: in effect within one housekeeping round.
        authorizationWatch.check();
        // The age bound holds even when no change arrives and nobody resumes.
        synchronized (dispatchLock) {
            changeLog.trimAge(System.currentTimeMillis());
        }
        try {
            publications.reconcile();
            try (Connection c = database.dataSource().getConnection();
                 PreparedStatement ps = c.prepareStatement(
                         "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, settings.slot());
                try (ResultSet rs = ps.executeQuery()) {
                    slotLagBytes.set(rs.next() ? rs.getLong(1) : -1);
                }
            }
        } catch (Exception e) {
            slotLagBytes.set(-1);
            LOG.debug("CDC housekeeping failed: {}", e.toString());
        }
    }

    // ---- subscriptions ------------------------------------------------------------------------------------------

    /**
     * Validates {@code entries} (the join reply's postgres_changes list, with ids) for {@code subscriber} and registers
     * them. The future completes once the bindings are in the index, so any change committed afterwards is
     * delivered. All-or-nothing: one invalid entry fails the subscriber's bindings, as the reference server does.
     */
    public CompletableFuture<SubscribeResult> subscribe(Subscriber subscriber, Claims claims, ArrayNode entries, String resumeFrom) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                List<PgSubscription> subs = validate(subscriber, claims, entries);
                return registerAndReplay(subscriber, subs, resumeFrom);
            } catch (SubscriptionException e) {
                index.unregister(subscriber);
                return new SubscribeResult(false, e.getMessage());
            } catch (RuntimeException | SQLException e) {
                index.unregister(subscriber);
                LOG.warn("postgres_changes subscription of {} failed: {}", subscriber.topic(), e.toString());
                return new SubscribeResult(false, "Realtime was unable to connect to the project database");
            }
        }, subscriptionWork);
    }

    public void unsubscribe(Subscriber subscriber) {
        index.unregister(subscriber);
    }

    private List<PgSubscription> validate(Subscriber subscriber, Claims claims, ArrayNode entries) throws SQLException, SubscriptionException {
        publications.reconcile();
        Set<String> published = publications.publishedTables();
        List<PgSubscription> out = new ArrayList<>();
        for (JsonNode entry : entries) out.add(validateEntry(subscriber, claims, entry, published));
        return out;
    }

    private PgSubscription validateEntry(Subscriber subscriber, Claims claims, JsonNode entry, Set<String> published) throws SubscriptionException {
        String eventText = entry.path("event").isTextual() ? entry.get("event").asText().toUpperCase(Locale.ROOT) : "*";
        ChangeEvent.Type event = switch (eventText) {
            case "INSERT" -> ChangeEvent.Type.INSERT;
            case "UPDATE" -> ChangeEvent.Type.UPDATE;
            case "DELETE" -> ChangeEvent.Type.DELETE;
            default -> null;
        };
        JsonNode schemaNode = entry.get("schema");
        JsonNode tableNode = entry.get("table");
        JsonNode filterNode = entry.get("filter");
        for (JsonNode n : new JsonNode[] {schemaNode, tableNode, filterNode}) {
            if (n != null && !n.isNull() && !n.isTextual()) throw new SubscriptionException("Unable to subscribe to changes with given parameters. "
                    + "schema, table and filter must be strings: " + entry);
        }
        String schema = schemaNode == null || schemaNode.isNull() ? "public" : schemaNode.asText();
        String table = tableNode == null || tableNode.isNull() || tableNode.asText().equals("*") ? null : tableNode.asText();
        if (schema.equals("*")) schema = null;
        String filter = filterNode == null || filterNode.isNull() || filterNode.asText().isBlank() ? null : filterNode.asText();
        String params = "[event: " + eventText + ", schema: " + (schema == null ? "*" : schema) + ", table: " + (table == null ? "*" : table)
                + ", filters: " + (filter == null ? "[]" : "[" + filter + "]") + ", select: " + (entry.has("select") ? entry.get("select") : "nil") + "]";
        List<String> select = null;
        JsonNode sel = entry.get("select");
        if (sel != null && !sel.isNull()) {
            if (!sel.isArray()) throw new SubscriptionException(
                    "Error parsing `select` params: expected a list of column name strings, e.g. select: [\"col1\", \"col2\"]");
            if (table == null || schema == null) throw new SubscriptionException(
                    "Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.");
            select = new ArrayList<>();
            for (JsonNode c : sel) {
                if (!c.isTextual()) throw new SubscriptionException(
                        "Error parsing `select` params: expected a list of column name strings, e.g. select: [\"col1\", \"col2\"]");
                select.add(c.asText());
            }
            select = List.copyOf(select);
        }
        boolean leave = entry.path("leave").asBoolean(false);
        String role = claims.role();

        List<Condition> conditions;
        try {
            conditions = FilterParser.parse(filter);
        } catch (FilterException e) {
            throw new SubscriptionException(e.getMessage());
        }
        if (table == null || schema == null) {
            if (!conditions.isEmpty()) throw new SubscriptionException("Unable to subscribe to changes with given parameters. "
                    + "A filter needs an explicit schema and table: " + params);
            final String s = schema;
            boolean any = published.stream().anyMatch(t -> s == null || t.startsWith(s + "."));
            if (!any) throw notEnabled(params);
            if (!catalog.roleExists(role)) throw exception(params, "role \"" + role + "\" of the token does not exist in the database");
            return new PgSubscription(subscriber, entry.get("id").asInt(), schema, null, event, null, null, null, leave, role, Principals.of(claims), null);
        }
        if (!published.contains(schema + "." + table)) throw notEnabled(params);
        catalog.invalidate(schema, table);
        TableInfo info = catalog.table(schema, table).orElseThrow(() -> notEnabled(params));
        if (!catalog.roleExists(role)) throw exception(params, "role \"" + role + "\" of the token does not exist in the database");
        if (!catalog.canSelect(role, schema, table)) throw exception(params, "permission denied for table " + table + " (role " + role + ")");
        if (select != null) {
            for (String c : select) if (info.column(c) == null) throw exception(params, "invalid column for select " + c);
        }
        RowPredicate predicate = null;
        if (!conditions.isEmpty()) {
            try {
                predicate = FilterCompiler.compile(conditions, info.columnTypes());
            } catch (FilterException e) {
                throw exception(params, e.getMessage());
            }
            boolean mayDelete = event == null || event == ChangeEvent.Type.DELETE;
            if (mayDelete && !info.fullReplicaIdentity()
                    && predicate.columns().stream().anyMatch(c -> info.column(c) != null && !info.column(c).primaryKey())) {
                // DELETE filters see only the replica identity: without FULL, non-key conditions never match.
                LOG.info("{}: filter '{}' on {} reads non-key columns; DELETEs cannot match without REPLICA IDENTITY FULL",
                        subscriber.topic(), filter, info.qualifiedName());
            }
        }
        if (leave && !info.fullReplicaIdentity()) throw exception(params, "\"leave\": true needs REPLICA IDENTITY FULL on " + info.qualifiedName());
        List<String> visible = catalog.selectableColumns(role, info);
        if (visible.size() < info.columns().size()) {
            // Column privileges: only columns the role may read appear in columns/record/old_record.
            for (ColumnInfo c : info.columns()) {
                if (c.primaryKey() && !visible.contains(c.name())) throw exception(params, "permission denied for column " + c.name()
                        + " of the primary key (role " + role + ")");
            }
            List<String> restricted = new ArrayList<>();
            for (String c : select == null ? visible : select) if (visible.contains(c)) restricted.add(c);
            select = List.copyOf(restricted);
            if (predicate != null) {
                for (String c : predicate.columns()) if (!visible.contains(c)) throw exception(params, "invalid column for filter " + c);
            }
        }
        Principal principal = Principals.of(claims);
        Object projection = rowAuthorizer.hasPolicy(schema, table) ? rowAuthorizer.projection(schema, table, principal) : null;
        return new PgSubscription(subscriber, entry.get("id").asInt(), schema, table, event, filter, predicate, select, leave, role, principal, projection);
    }

    private static SubscriptionException notEnabled(String params) {
        return new SubscriptionException("Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: " + params);
    }

    private static SubscriptionException exception(String params, String detail) {
        return new SubscriptionException("Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: "
                + params + ". Exception: " + detail);
    }

    /**
     * Stops consuming changes (offsets of everything handed out are flushed) and records the last position handed
     * out, so the next start can serve clients resuming from it. The log stays readable.
     */
    public void stopFeed() {
        CdcSource s = source;
        if (s != null) s.close();
        ChangeEvent.StreamPosition last = lastDelivered;
        if (last == null) return;
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO herald.cdc_state (id, last_position) VALUES (1, ?) "
                     + "ON CONFLICT (id) DO UPDATE SET last_position = EXCLUDED.last_position, updated_at = now()")) {
            ps.setString(1, position(last));
            ps.executeUpdate();
        } catch (SQLException e) {
            LOG.warn("cannot record the change feed's stop position: {}", e.toString());
        }
    }

    /** Reads and clears the position a clean stop recorded (a crash leaves none). */
    private ChangeEvent.StreamPosition loadStopPosition() throws SQLException {
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM herald.cdc_state WHERE id = 1 RETURNING last_position");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? parsePosition(rs.getString(1)) : null;
        }
    }

    @Override
    public void close() {
        housekeeping.shutdownNow();
        subscriptionWork.shutdownNow();
        stopFeed();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** A binding that cannot be registered; the message is the {@code system} error text. */
    static final class SubscriptionException extends Exception {
        SubscriptionException(String message) {
            super(message, null, false, false);
        }
    }

    // ---- admin --------------------------------------------------------------------------------------------------

    private final dev.herald.runtime.limits.RollingRate eventRate = new dev.herald.runtime.limits.RollingRate(5_000, 5, System::currentTimeMillis);

    /** Row changes per second received from the feed, over the last five seconds. */
    public double eventsPerSecond() {
        return eventRate.perSecond();
    }

    /** The LSN of the last change handed to subscribers (0 before the first). */
    public long lastLsn() {
        CdcSource s = source;
        return s == null ? 0 : s.lastLsn();
    }

    /** The name of Herald's replication slot. */
    public String slotName() {
        return settings.slot();
    }
}
