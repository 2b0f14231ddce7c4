package dev.herald.runtime.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.ErrorCode;
import dev.herald.runtime.metrics.HeraldMetrics;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link ChangeFeed} driven by a fake source: what reaches the fan-out, in which order, and when it is acknowledged. */
class ChangeFeedTest {
    private final HeraldMetrics metrics = new HeraldMetrics();
    private final List<FakeCdcSource> sources = new ArrayList<>();
    /** What the fan-out and the after-fan-out hook saw, in order: "fan-out 3", "hook 3", ... */
    private final List<String> seen = new ArrayList<>();
    private int restarts;
    private ChangeFeed.FanOut fanOut = e -> seen.add("fan-out " + e.position().lsn());

    private ChangeFeed feed() {
        ChangeFeed feed = new ChangeFeed(() -> {
            FakeCdcSource s = new FakeCdcSource();
            sources.add(s);
            return s;
        }, e -> fanOut.fanOut(e), () -> restarts++, metrics);
        feed.afterFanOut(e -> seen.add("hook " + e.position().lsn()));
        return feed;
    }

    private FakeCdcSource source() {
        return sources.get(sources.size() - 1);
    }

    private static ChangeEvent change(long lsn) {
        return new ChangeEvent("public", "t", ChangeEvent.Type.INSERT, Instant.EPOCH, new ChangeEvent.StreamPosition(1, lsn),
                Map.of("id", lsn), Map.of(), 8);
    }

    @Test
    void nothingIsCreatedOrStartedBeforeStart() {
        ChangeFeed feed = feed();
        assertTrue(sources.isEmpty());
        assertEquals(CdcSource.State.STOPPED, feed.state());
        assertEquals(0, feed.lastLsn());
        assertNull(feed.lastDelivered());
    }

    @Test
    void changesReachTheFanOutInStreamOrderEachFollowedByItsHook() {
        ChangeFeed feed = feed();
        feed.start(null);
        source().emit(change(1), change(2));
        source().emit(change(3));
        assertEquals(List.of("fan-out 1", "hook 1", "fan-out 2", "hook 2", "fan-out 3", "hook 3"), seen);
        assertEquals(new ChangeEvent.StreamPosition(1, 3), feed.lastDelivered());
        assertEquals(3, feed.lastLsn());
        assertEquals(3.0, metrics.registry().get("herald.cdc.events").counter().count());
        assertEquals(1.0, metrics.registry().get("herald.cdc.up").gauge().value());
    }

    @Test
    void aBatchIsAcknowledgedOnlyAfterEveryChangeOfItWentThroughFanOutAndHook() {
        ChangeFeed feed = feed();
        feed.start(null);
        FakeCdcSource source = source();
        fanOut = e -> {
            seen.add("fan-out " + e.position().lsn());
            seen.add("acknowledged batches " + source.acknowledged.size());
        };
        source.emit(change(1), change(2));
        assertEquals(List.of("fan-out 1", "acknowledged batches 0", "hook 1", "fan-out 2", "acknowledged batches 0", "hook 2"), seen);
        assertEquals(1, source.acknowledged.size());
    }

    @Test
    void anUnreachableCatalogFailsTheBatchUnacknowledged() {
        ChangeFeed feed = feed();
        feed.start(null);
        fanOut = e -> {
            throw new TableCatalog.CatalogException("cannot read the catalog", new SQLException("gone"));
        };
        assertThrows(TableCatalog.CatalogException.class, () -> source().emit(change(1)));
        assertTrue(source().acknowledged.isEmpty());
        assertEquals(CdcSource.State.FAILED, feed.state());
        assertFalse(seen.contains("hook 1"), "the hook runs only for changes that went through");
    }

    @Test
    void aChangeTheFanOutThrowsOnIsSkippedAndCountedAndTheOthersGoOn() {
        ChangeFeed feed = feed();
        feed.start(null);
        fanOut = e -> {
            if (e.position().lsn() == 2) throw new IllegalStateException("boom");
            seen.add("fan-out " + e.position().lsn());
        };
        source().emit(change(1), change(2), change(3));
        assertEquals(List.of("fan-out 1", "hook 1", "hook 2", "fan-out 3", "hook 3"), seen);
        assertEquals(1.0, metrics.drops(ErrorCode.CHANGE_NOT_DELIVERABLE));
        assertEquals(1, source().acknowledged.size(), "the batch is acknowledged: the feed goes on");
        assertEquals(CdcSource.State.RUNNING, feed.state());
    }

    @Test
    void aFailedSourceIsReplacedAndWhatItHadHandedOnIsNotRepeated() {
        ChangeFeed feed = feed();
        feed.start(null);
        FakeCdcSource first = source();
        first.emit(change(1), change(2));
        first.fail("connection refused");
        assertEquals("connection refused", feed.lastError());
        assertEquals(0.0, metrics.registry().get("herald.cdc.up").gauge().value());

        feed.restartIfFailed();
        assertEquals(2, sources.size(), "a new source");
        assertTrue(first.closed);
        assertEquals(1, restarts, "the catalog is forgotten before the restart");
        assertEquals(CdcSource.State.RUNNING, feed.state());
        // The new source resumes from its last acknowledged offset: change 2 comes again.
        source().emit(change(2), change(3));
        assertEquals(List.of("fan-out 1", "hook 1", "fan-out 2", "hook 2", "fan-out 3", "hook 3"), seen);
    }

    @Test
    void aSourceThatFailsAgainAtOnceWaitsForTheBackoff() {
        ChangeFeed feed = feed();
        feed.start(null);
        source().fail("down");
        feed.restartIfFailed();
        source().fail("still down");
        feed.restartIfFailed();
        assertEquals(2, sources.size(), "no second restart within the first backoff");
        assertEquals(CdcSource.State.FAILED, feed.state());
    }

    @Test
    void aRunningSourceIsLeftAlone() {
        ChangeFeed feed = feed();
        feed.start(null);
        FakeCdcSource running = source();
        feed.restartIfFailed();
        assertSame(running, source());
        assertEquals(0, restarts);
    }

    @Test
    void changesUpToWhereACleanStopLeftOffAreNotHandedOnAgain() {
        ChangeFeed feed = feed();
        feed.start(new ChangeEvent.StreamPosition(1, 5));
        assertEquals(new ChangeEvent.StreamPosition(1, 5), feed.resumedFrom());
        source().emit(change(4), change(5), change(6));
        assertEquals(List.of("fan-out 6", "hook 6"), seen);
        assertEquals(3.0, metrics.registry().get("herald.cdc.events").counter().count(), "all were received");
    }

    @Test
    void anExplicitRestartReplacesARunningSource() {
        ChangeFeed feed = feed();
        feed.start(null);
        FakeCdcSource first = source();
        first.emit(change(1));
        feed.restart();
        assertTrue(first.closed);
        assertEquals(2, sources.size());
        source().emit(change(1), change(2));
        assertEquals(List.of("fan-out 1", "hook 1", "fan-out 2", "hook 2"), seen);
        feed.close();
        assertTrue(source().closed);
    }
}
