package dev.herald.runtime.cdc;

import dev.herald.api.ErrorCode;
import dev.herald.runtime.limits.RollingRate;
import dev.herald.runtime.metrics.HeraldMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link CdcSource} (created by the injected supplier at each start), restarts it after a failure with a
 * growing backoff, reports its state, and hands each new change to the {@link FanOut}.
 *
 * <p>Threading: changes are handled on the source's thread; start, restart and close are serialised; the status
 * accessors may be called from any thread.
 *
 * <p>Ordering: changes reach the fan-out one at a time in stream order. A change at or before the last one handed on
 * (a restarted source re-offers its unacknowledged batch) is dropped, so connected clients never see it twice.
 *
 * <p>Delivery: the handler returns to the source only after every change of the batch went through the fan-out and
 * the after-fan-out hook, and the source acknowledges the batch only then: at least once. A change the fan-out
 * throws on is counted ({@link ErrorCode#CHANGE_NOT_DELIVERABLE}), logged without its content and skipped; a
 * {@link TableCatalog.CatalogException} (database unreachable) fails the source instead, which resumes from that
 * batch after its restart.
 */
final class ChangeFeed implements AutoCloseable {
    /** The log category operators know these lines by, from before this class was split out. */
    private static final Logger LOG = LoggerFactory.getLogger(CdcService.class);
    private static final long FIRST_BACKOFF_MS = 2_000;
    private static final long MAX_BACKOFF_MS = 60_000;

    /** Where the feed hands each new change, on the source's thread; must not block on clients. */
    @FunctionalInterface
    interface FanOut {
        void fanOut(ChangeEvent change);
    }

    private final Supplier<CdcSource> sources;
    private final FanOut fanOut;
    private final Runnable beforeRestart;
    private final HeraldMetrics metrics;
    private final Counter events;
    private final RollingRate eventRate = new RollingRate(5_000, 5, System::currentTimeMillis);
    private volatile CdcSource source;
    private volatile ChangeEvent.StreamPosition lastDelivered;
    /** Where a clean stop of the previous engine left off (null after a crash): the log is complete from there. */
    private volatile ChangeEvent.StreamPosition resumedFrom;
    private volatile Consumer<ChangeEvent> afterFanOut;
    private long nextRestartAt;
    private long restartBackoffMs = FIRST_BACKOFF_MS;

    /**
     * @param sources       a new, unstarted source per start
     * @param beforeRestart runs before a failed source is replaced (cached table shapes may be stale)
     */
    ChangeFeed(Supplier<CdcSource> sources, FanOut fanOut, Runnable beforeRestart, HeraldMetrics metrics) {
        this.sources = sources;
        this.fanOut = fanOut;
        this.beforeRestart = beforeRestart;
        this.metrics = metrics;
        this.events = Counter.builder("herald.cdc.events").description("Row changes received from the change feed")
                .register(metrics.registry());
        Gauge.builder("herald.cdc.up", this, f -> f.state() == CdcSource.State.RUNNING ? 1 : 0)
                .description("1 while the change feed is streaming").register(metrics.registry());
        Gauge.builder("herald.cdc.last.lsn", this, ChangeFeed::lastLsn)
                .description("LSN of the last change handed to subscribers").register(metrics.registry());
    }

    /**
     * Starts streaming. Changes up to {@code resumedFrom} (where a clean stop left off, or null) were handed out
     * before the stop: a re-read of them must not reach clients again.
     */
    synchronized void start(ChangeEvent.StreamPosition resumedFrom) {
        this.resumedFrom = resumedFrom;
        this.lastDelivered = resumedFrom;
        startSource();
    }

    private void startSource() {
        source = sources.get();
        source.start(this::onChanges);
    }

    /** Stops and restarts the source; delivery resumes without duplicates. */
    synchronized void restart() {
        source.close();
        startSource();
    }

    /**
     * The database went away (restart, network): the source stops with an error. Start it again with a growing
     * backoff (2 s to 60 s); it resumes from its acknowledged position, so nothing is lost. Called periodically.
     */
    synchronized void restartIfFailed() {
        CdcSource s = source;
        if (s == null || s.state() != CdcSource.State.FAILED) {
            if (s != null && s.state() == CdcSource.State.RUNNING) restartBackoffMs = FIRST_BACKOFF_MS;
            return;
        }
        long now = System.currentTimeMillis();
        if (now < nextRestartAt) return;
        nextRestartAt = now + restartBackoffMs;
        restartBackoffMs = Math.min(MAX_BACKOFF_MS, restartBackoffMs * 2);
        LOG.warn("change capture failed ({}); restarting it", s.lastError());
        try {
            s.close();
            beforeRestart.run();
            startSource();
        } catch (RuntimeException e) {
            LOG.warn("change capture restart failed: {}", e.toString());
        }
    }

    /** Something to run for every change after subscribers got it (plugin table hooks); set before {@link #start}. */
    void afterFanOut(Consumer<ChangeEvent> listener) {
        this.afterFanOut = listener;
    }

    private void onChanges(List<ChangeEvent> batch) {
        for (ChangeEvent e : batch) {
            events.increment();
            eventRate.add(1);
            ChangeEvent.StreamPosition last = lastDelivered;
            if (last != null && e.position().compareTo(last) <= 0) continue;
            lastDelivered = e.position();
            try {
                fanOut.fanOut(e);
            } catch (TableCatalog.CatalogException ex) {
                throw ex; // the database is unreachable: the source fails and resumes from this batch
            } catch (RuntimeException | StackOverflowError ex) {
                // One change must never stop the feed: skip it (counted, logged without its content), go on.
                metrics.drop(ErrorCode.CHANGE_NOT_DELIVERABLE);
                LOG.error("{}", ErrorCode.CHANGE_NOT_DELIVERABLE.message(e.schema() + "." + e.table() + " at LSN "
                        + DebeziumCdcSource.lsn(e.position().lsn()), DebeziumCdcSource.where(ex)));
            }
            // Plugin hooks run after fan-out and before the batch is acknowledged: at least once.
            Consumer<ChangeEvent> after = afterFanOut;
            if (after != null) after.accept(e);
        }
    }

    /** Blocks until the source streams or {@code timeoutMs} passes; false at once when it failed. */
    boolean awaitRunning(long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            CdcSource.State s = state();
            if (s == CdcSource.State.RUNNING) return true;
            if (s == CdcSource.State.FAILED) return false;
            Thread.sleep(50);
        }
        return false;
    }

    /** The source's state; {@link CdcSource.State#STOPPED} before the first start. */
    CdcSource.State state() {
        CdcSource s = source;
        return s == null ? CdcSource.State.STOPPED : s.state();
    }

    String lastError() {
        CdcSource s = source;
        return s == null ? null : s.lastError();
    }

    /** The LSN of the last change handed to subscribers (0 before the first). */
    long lastLsn() {
        CdcSource s = source;
        return s == null ? 0 : s.lastLsn();
    }

    /** Row changes per second received from the source, over the last five seconds. */
    double eventsPerSecond() {
        return eventRate.perSecond();
    }

    /** The newest change handed on (or where a clean stop left off); null before either. */
    ChangeEvent.StreamPosition lastDelivered() {
        return lastDelivered;
    }

    ChangeEvent.StreamPosition resumedFrom() {
        return resumedFrom;
    }

    /** Stops the source; it acknowledges everything handed out before it returns. */
    @Override
    public void close() {
        CdcSource s = source;
        if (s != null) s.close();
    }
}
