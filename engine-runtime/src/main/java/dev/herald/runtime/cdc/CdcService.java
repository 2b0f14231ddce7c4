package dev.herald.runtime.cdc;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.policy.RowAuthorizer;
import io.micrometer.core.instrument.Gauge;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The postgres_changes feature, wiring its parts: the {@link ChangeFeed} runs the injected {@link CdcSource} and
 * hands each change to the {@link ChangeDispatcher} (change log, row gate, {@link SubscriptionIndex}, then the
 * {@link Subscriber}s); the {@link BindingValidator} checks a join's bindings; the {@link PublicationManager} keeps
 * the publication current; the {@link ReplicationSlot} reports slot lag and keeps the stop position. Subscription
 * work (catalog queries) runs on its own executor, never on a socket thread or the change-feed thread; a housekeeping
 * timer restarts a failed source and refreshes the publication, the authorization catalog and the slot lag. No I/O
 * before {@link #start()}. Thread-safe.
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
    private final AuthorizationCatalogWatch authorizationWatch;
    private final ReplicationSlot slot;
    private final BindingValidator validator;
    private final ChangeDispatcher dispatcher;
    private final ChangeFeed feed;
    private final ExecutorService subscriptionWork = Executors.newSingleThreadExecutor(daemon("herald-cdc-subscribe"));
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(daemon("herald-cdc-housekeeping"));
    private final AtomicLong slotLagBytes = new AtomicLong(-1);

    /**
     * @param sources creates the change source at each start of the feed ({@code DebeziumCdcSource::new} in production)
     */
    public CdcService(Database database, DebeziumCdcSource.Settings settings, List<String> tablePatterns, HeraldMetrics metrics,
                      RowAuthorizer rowAuthorizer, int replayMaxMessages, long replayMaxAgeMs, long replayMaxBytes,
                      CdcSource.Factory sources) {
        this.database = database;
        RowSecurityEvaluator rls = new RowSecurityEvaluator(database.dataSource(), detail -> metrics.drop(ErrorCode.ROW_CHECK_FAILED));
        this.catalog = new TableCatalog(database.dataSource());
        this.authorizationWatch = new AuthorizationCatalogWatch(database.dataSource(), () -> {
            catalog.invalidateAll();
            rls.invalidateAll();
        });
        this.publications = new PublicationManager(database.dataSource(), settings.publication(), tablePatterns);
        this.slot = new ReplicationSlot(database.dataSource(), settings.slot());
        this.validator = new BindingValidator(publications, catalog, rowAuthorizer);
        SubscriptionIndex index = new SubscriptionIndex((s, e) -> {
            LOG.warn("postgres_changes binding {} of {} failed: {}", s.id(), s.subscriber().topic(), e.toString());
            s.subscriber().bindingFailed(e);
        });
        this.dispatcher = new ChangeDispatcher(index, new ChangeLog(replayMaxMessages, replayMaxBytes, replayMaxAgeMs),
                replayMaxMessages > 0, catalog, rowAuthorizer, rls, metrics);
        this.feed = new ChangeFeed(() -> sources.create(settings, database.dataSource(), catalog, metrics::drop),
                dispatcher::dispatch, catalog::invalidateAll, metrics);
        Gauge.builder("herald.cdc.slot.lag.bytes", slotLagBytes, AtomicLong::get)
                .description("WAL retained by Herald's replication slot (-1 unknown)").register(metrics.registry());
    }

    /** Prepares the database (schema, publication) and starts streaming. */
    public void start() throws SQLException {
        database.migrate();
        database.checkReplicationReady();
        ChangeEvent.StreamPosition resumedFrom = slot.takeStopPosition();
        publications.ensureExists();
        publications.reconcile();
        authorizationWatch.check();
        feed.start(resumedFrom);
        housekeeping.scheduleWithFixedDelay(this::housekeeping, 2, 2, TimeUnit.SECONDS);
    }

    /** Stops and restarts the source (operations, and the restart test); delivery resumes without duplicates. */
    public void restartSource() {
        feed.restart();
    }

    /** Blocks until the source streams or {@code timeoutMs} passes. */
    public boolean awaitRunning(long timeoutMs) throws InterruptedException {
        return feed.awaitRunning(timeoutMs);
    }

    public String state() {
        return switch (feed.state()) {
            case RUNNING -> slotLagBytes.get() > LAGGING_BYTES ? "lagging" : "running";
            case FAILED -> "failed";
            case STARTING -> "starting";
            case STOPPED -> "stopped";
        };
    }

    public boolean healthy() {
        return feed.state() == CdcSource.State.RUNNING;
    }

    public String lastError() {
        return feed.lastError();
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

    /** Something to run for every change after subscribers got it (plugin table hooks); set before {@link #start()}. */
    public void afterFanOut(Consumer<ChangeEvent> listener) {
        feed.afterFanOut(listener);
    }

    /** The position of the newest change seen by the feed (for join replies). */
    public String currentPosition() {
        ChangeEvent.StreamPosition last = feed.lastDelivered();
        return (last == null ? new ChangeEvent.StreamPosition(0, 0) : last).text();
    }

    /**
     * Validates {@code entries} (the join reply's postgres_changes list, with ids) for {@code subscriber} and
     * registers them; with {@code resumeFrom}, the logged changes after it are replayed first. The future completes
     * once the bindings are in the index, so any change committed afterwards is delivered. All-or-nothing: one
     * invalid entry fails the subscriber's bindings, as the reference server does.
     */
    public CompletableFuture<SubscribeResult> subscribe(Subscriber subscriber, Claims claims, ArrayNode entries, String resumeFrom) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                List<PgSubscription> subs = validator.validate(subscriber, claims, entries);
                dispatcher.registerAndReplay(subscriber, subs, resumeFrom, feed);
                return new SubscribeResult(true, "Subscribed to PostgreSQL");
            } catch (BindingValidator.InvalidBinding e) {
                dispatcher.unregister(subscriber);
                return new SubscribeResult(false, e.getMessage());
            } catch (RuntimeException | SQLException e) {
                dispatcher.unregister(subscriber);
                LOG.warn("postgres_changes subscription of {} failed: {}", subscriber.topic(), e.toString());
                return new SubscribeResult(false, "Realtime was unable to connect to the project database");
            }
        }, subscriptionWork);
    }

    public void unsubscribe(Subscriber subscriber) {
        dispatcher.unregister(subscriber);
    }

    private void housekeeping() {
        feed.restartIfFailed();
        // Grants, policies and role memberships are re-read when they change: in effect within one housekeeping round.
        authorizationWatch.check();
        dispatcher.trimLog(System.currentTimeMillis());
        try {
            publications.reconcile();
            slotLagBytes.set(slot.lagBytes());
        } catch (Exception e) {
            slotLagBytes.set(-1);
            LOG.debug("CDC housekeeping failed: {}", e.toString());
        }
    }

    /**
     * Stops consuming changes (offsets of everything handed out are flushed) and records the last position handed
     * out, so the next start can serve clients resuming from it. The log stays readable.
     */
    public void stopFeed() {
        feed.close();
        ChangeEvent.StreamPosition last = feed.lastDelivered();
        if (last == null) return;
        try {
            slot.recordStopPosition(last);
        } catch (SQLException e) {
            LOG.warn("cannot record the change feed's stop position: {}", e.toString());
        }
    }

    @Override
    public void close() {
        housekeeping.shutdownNow();
        subscriptionWork.shutdownNow();
        stopFeed();
    }

    /** Row changes per second received from the feed, over the last five seconds. */
    public double eventsPerSecond() {
        return feed.eventsPerSecond();
    }

    /** The LSN of the last change handed to subscribers (0 before the first). */
    public long lastLsn() {
        return feed.lastLsn();
    }

    /** The name of Herald's replication slot. */
    public String slotName() {
        return slot.name();
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
