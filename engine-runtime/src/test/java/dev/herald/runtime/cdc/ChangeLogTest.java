package dev.herald.runtime.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.db.EmbeddedDatabase;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.policy.RowAuthorizer;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.Outbound;
import dev.herald.runtime.protocol.ProtocolVersion;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The change log's bounds, and resuming from it: a subscriber that asks for the changes after a position gets them
 * replayed through its own bindings when the log still covers that position, and a "not recovered" notice otherwise.
 */
class ChangeLogTest {
    private static final TableInfo TABLE = new TableInfo("public", "todos", List.of(new ColumnInfo("id", "int8", 1, true)), false, 'd');

    private static ChangeEvent change(long lsn, int bytes) {
        return new ChangeEvent("public", "todos", ChangeEvent.Type.INSERT, Instant.EPOCH, new ChangeEvent.StreamPosition(1, lsn),
                Map.of("id", lsn), Map.of(), bytes);
    }

    private static List<Long> lsns(ChangeLog log) {
        List<Long> out = new ArrayList<>();
        for (ChangeLog.Logged l : log.entries()) out.add(l.event().position().lsn());
        return out;
    }

    @Test
    void theCountBoundDropsTheOldest() {
        ChangeLog log = new ChangeLog(3, Long.MAX_VALUE, Long.MAX_VALUE);
        for (long i = 1; i <= 5; i++) log.add(TABLE, change(i, 10), 0);
        assertEquals(List.of(3L, 4L, 5L), lsns(log));
        assertEquals(new ChangeEvent.StreamPosition(1, 2), log.evictedUpTo());
        assertEquals(new ChangeEvent.StreamPosition(1, 3), log.oldestPosition());
    }

    @Test
    void theByteBoundCountsEachChangeAtItsSizePlusTheEntryOverhead() {
        long perEntry = 100 + ChangeLog.ENTRY_OVERHEAD;
        ChangeLog log = new ChangeLog(1000, 3 * perEntry, Long.MAX_VALUE);
        for (long i = 1; i <= 3; i++) log.add(TABLE, change(i, 100), 0);
        assertEquals(3 * perEntry, log.bytes());
        assertNull(log.evictedUpTo(), "exactly at the bound: nothing dropped");
        log.add(TABLE, change(4, 100), 0);
        assertEquals(List.of(2L, 3L, 4L), lsns(log));
        assertEquals(3 * perEntry, log.bytes());
        // One change bigger than the whole bound pushes everything out, itself included.
        log.add(TABLE, change(5, (int) (4 * perEntry)), 0);
        assertTrue(log.isEmpty());
        assertEquals(0, log.bytes());
        assertEquals(new ChangeEvent.StreamPosition(1, 5), log.evictedUpTo());
    }

    @Test
    void theAgeBoundHoldsOnAddAndOnTrim() {
        ChangeLog log = new ChangeLog(1000, Long.MAX_VALUE, 1_000);
        log.add(TABLE, change(1, 10), 0);
        log.add(TABLE, change(2, 10), 500);
        log.trimAge(1_000);
        assertEquals(List.of(1L, 2L), lsns(log), "exactly the age bound old: kept");
        log.trimAge(1_001);
        assertEquals(List.of(2L), lsns(log));
        log.add(TABLE, change(3, 10), 1_600);
        assertEquals(List.of(3L), lsns(log), "adding trims too");
        assertEquals(new ChangeEvent.StreamPosition(1, 2), log.evictedUpTo());
        assertEquals(10 + ChangeLog.ENTRY_OVERHEAD, log.bytes());
    }

    // ---- resume: replay through the live path (fake source, ChangeFeed, ChangeDispatcher) on a real catalog ----

    static PostgresFixture pg;
    static Database database;

    @BeforeAll
    static void start() throws Exception {
        pg = new PostgresFixture();
        pg.sql("CREATE ROLE log_reader NOLOGIN", "CREATE TABLE public.todos (id int8 PRIMARY KEY)", "GRANT SELECT ON public.todos TO log_reader");
        database = new Database(pg.url(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (database != null) database.close();
        if (pg != null) pg.close();
    }

    private final FakeCdcSource source = new FakeCdcSource();
    private ChangeFeed feed;
    private ChangeDispatcher dispatcher;

    /** A feed that has handed on changes 1..{@code changes}, logging at most {@code logged} of them. */
    private void streamed(int logged, int changes) {
        HeraldMetrics metrics = new HeraldMetrics();
        TableCatalog catalog = new TableCatalog(database.dataSource());
        SubscriptionIndex index = new SubscriptionIndex((s, e) -> {
            throw new AssertionError(e);
        });
        dispatcher = new ChangeDispatcher(index, new ChangeLog(logged, Long.MAX_VALUE, Long.MAX_VALUE), true, catalog,
                new RowAuthorizer(List.of()), new RowSecurityEvaluator(database.dataSource(), e -> { }), metrics);
        feed = new ChangeFeed(() -> source, dispatcher::dispatch, () -> { }, metrics);
        feed.start(null);
        for (long i = 1; i <= changes; i++) source.emit(change(i, 8));
    }

    private RecordingSubscriber resume(String from) {
        RecordingSubscriber sub = new RecordingSubscriber("realtime:todos");
        dispatcher.registerAndReplay(sub, List.of(binding(sub, 9)), from, feed);
        return sub;
    }

    private static PgSubscription binding(Subscriber sub, int id) {
        return new PgSubscription(sub, id, "public", "todos", null, null, null, null, false, "log_reader", null, null);
    }

    private static List<String> replayed(RecordingSubscriber sub) throws Exception {
        List<String> out = new ArrayList<>();
        for (Outbound o : sub.delivered) {
            JsonNode payload = Json.read(o.frameFor(ProtocolVersion.V2).text()).get(4);
            out.add(payload.get("ids") + " " + payload.get("data").get("record").get("id") + " " + payload.get("herald_pos").asText());
        }
        return out;
    }

    private static String position(long lsn) {
        return new ChangeEvent.StreamPosition(1, lsn).text();
    }

    @Test
    void theChangesAfterThePositionAreReplayedWithTheNewIdsThenTheNotice() throws Exception {
        streamed(10, 4);
        RecordingSubscriber sub = resume(position(2));
        assertEquals(List.of("[9] 3 " + position(3), "[9] 4 " + position(4)), replayed(sub));
        assertEquals(List.of("true:2"), sub.recoveries);
        // Registered too: the next live change follows the replay.
        source.emit(change(5, 8));
        assertEquals(3, sub.delivered.size());
    }

    /**
     * The race a resume could lose a change in: the feed found no binding for the table, then a subscriber registered
     * and replayed (the change not logged yet), then the feed logged the change. The subscriber must get it live.
     */
    @Test
    void aChangeInFlightWhileTheFirstSubscriberResumesIsDeliveredLive() throws Exception {
        streamed(10, 1);
        RecordingSubscriber sub;
        Thread feedThread;
        synchronized (dispatcher) {
            feedThread = new Thread(() -> source.emit(change(2, 8)), "test-feed");
            feedThread.start();
            // The feed has checked the bindings (none) and waits for the dispatch lock, which this thread holds.
            long end = System.currentTimeMillis() + 10_000;
            while (feedThread.getState() != Thread.State.BLOCKED && System.currentTimeMillis() < end) Thread.sleep(1);
            assertEquals(Thread.State.BLOCKED, feedThread.getState());
            sub = resume(position(1));
            assertTrue(sub.delivered.isEmpty(), "nothing after position 1 is logged yet");
            assertEquals(List.of("true:0"), sub.recoveries);
        }
        feedThread.join(10_000);
        assertEquals(List.of("[9] 2 " + position(2)), replayed(sub), "change 2 reaches the subscriber live");
    }

    @Test
    void resumingFromTheNewestChangeReplaysNothingAndRecovers() {
        streamed(10, 3);
        RecordingSubscriber sub = resume(position(3));
        assertTrue(sub.delivered.isEmpty());
        assertEquals(List.of("true:0"), sub.recoveries);
    }

    @Test
    void aPositionTheWindowNoLongerCoversIsNotRecovered() throws Exception {
        streamed(2, 5);
        RecordingSubscriber sub = resume(position(2));
        assertTrue(sub.delivered.isEmpty(), "nothing replayed: change 3 was dropped from the log");
        assertEquals(List.of("false:0"), sub.recoveries);
        // The log holds 4 and 5: from 3 on it is complete.
        RecordingSubscriber covered = resume(position(3));
        assertEquals(List.of("[9] 4 " + position(4), "[9] 5 " + position(5)), replayed(covered));
        assertEquals(List.of("true:2"), covered.recoveries);
    }

    @Test
    void anUnreadablePositionIsNotRecovered() {
        streamed(10, 3);
        RecordingSubscriber sub = resume("b:whatever");
        assertTrue(sub.delivered.isEmpty());
        assertEquals(List.of("false:0"), sub.recoveries);
    }

    @Test
    void withoutAPositionNothingIsReplayedAndNoNoticeIsSent() {
        streamed(10, 3);
        RecordingSubscriber sub = resume(null);
        assertTrue(sub.delivered.isEmpty());
        assertTrue(sub.recoveries.isEmpty());
    }
}
