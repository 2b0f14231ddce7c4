package dev.herald.runtime.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.cdc.PostgresFixture;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.db.EmbeddedDatabase;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.Outbound;
import dev.herald.runtime.protocol.ProtocolVersion;
import dev.herald.runtime.protocol.UserBroadcast;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PgBroadcastStore} against a real PostgreSQL (no engine): append and read back, durability across a reopen
 * (with {@link TopicLog} on top, the path a resume after a restart takes), the age and count bounds, and payloads
 * that must stay parameters. "Reopen" is a new store on the same database, as a restarted engine opens it.
 */
class PgBroadcastStoreTest {
    private static final TopicKey ROOM = new TopicKey(false, "room1");
    private static final TopicKey PRIVATE_ROOM = new TopicKey(true, "room1");
    private static final long HOUR_MS = 3_600_000;

    static PostgresFixture pg;
    static Database database;

    private final List<PgBroadcastStore> opened = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        pg = new PostgresFixture();
        database = new Database(pg.url(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
        database.migrate();
    }

    @AfterAll
    static void stop() {
        if (database != null) database.close();
        if (pg != null) pg.close();
    }

    @BeforeEach
    void emptyStore() throws SQLException {
        pg.sql("TRUNCATE herald.replay_broadcast", "TRUNCATE herald.replay_epoch");
    }

    @AfterEach
    void closeStores() {
        for (PgBroadcastStore s : opened) s.close();
    }

    private PgBroadcastStore open(long maxAgeMs, int maxPerTopic) throws SQLException {
        PgBroadcastStore s = new PgBroadcastStore(database.dataSource(), maxAgeMs, maxPerTopic);
        opened.add(s);
        return s;
    }

    private PgBroadcastStore open() throws SQLException {
        return open(HOUR_MS, 10_000);
    }

    private static ObjectNode payload(String text) {
        ObjectNode p = Json.object();
        p.put("event", "msg");
        p.putObject("payload").put("text", text);
        return p;
    }

    /** The vsn-2 frame bytes of a message: equal frames mean the client receives the same thing. */
    private static byte[] wire(Outbound message) {
        return message.frameFor(ProtocolVersion.V2).bytes();
    }

    private static byte[] wireOfPush(TopicKey key, JsonNode payload) {
        return wire(Outbound.push(key.joinTopic(), "broadcast", payload));
    }

    private static List<PgBroadcastStore.Stored> after(PgBroadcastStore store, TopicKey key, long since, long[] oldest)
            throws SQLException {
        return store.after(key, since, oldest);
    }

    private static List<Long> positions(List<PgBroadcastStore.Stored> stored) {
        List<Long> out = new ArrayList<>();
        for (PgBroadcastStore.Stored s : stored) out.add(s.position());
        return out;
    }

    private static long rows(String where) throws SQLException {
        try (Connection c = pg.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM herald.replay_broadcast WHERE " + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void appendedMessagesReadBackInPositionOrderAfterTheGivenPosition() throws Exception {
        PgBroadcastStore store = open();
        for (long pos = 1; pos <= 4; pos++) store.append(ROOM, pos, payload("m" + pos), null);
        long[] oldest = new long[1];
        List<PgBroadcastStore.Stored> all = after(store, ROOM, 0, oldest);
        assertEquals(List.of(1L, 2L, 3L, 4L), positions(all), "a read flushes what is still pending first");
        assertEquals(1, oldest[0]);
        for (PgBroadcastStore.Stored s : all) {
            assertEquals(ROOM.joinTopic(), s.message().topic());
            assertEquals("broadcast", s.message().event());
            assertArrayEquals(wireOfPush(ROOM, payload("m" + s.position())), wire(s.message()));
        }
        List<PgBroadcastStore.Stored> tail = after(store, ROOM, 2, oldest);
        assertEquals(List.of(3L, 4L), positions(tail));
        assertEquals(1, oldest[0], "the oldest stored position, whatever was asked");
        assertEquals(4, store.maxPosition(ROOM));
    }

    @Test
    void theWriterFlushesBehindTheFanOutWithoutBeingAsked() throws Exception {
        PgBroadcastStore store = open();
        store.append(ROOM, 1, payload("m"), null);
        long end = System.currentTimeMillis() + 2_000;
        while (rows("true") == 0 && System.currentTimeMillis() < end) Thread.sleep(10);
        assertEquals(1, rows("position = 1"), "written by the 20 ms batch writer");
    }

    @Test
    void publicAndPrivateTopicsOfTheSameNameAreKeptApart() throws Exception {
        PgBroadcastStore store = open();
        store.append(ROOM, 1, payload("public"), null);
        store.append(PRIVATE_ROOM, 1, payload("private"), null);
        store.append(PRIVATE_ROOM, 2, payload("private 2"), null);
        long[] oldest = new long[1];
        List<PgBroadcastStore.Stored> pub = after(store, ROOM, 0, oldest);
        assertEquals(1, pub.size());
        assertArrayEquals(wireOfPush(ROOM, payload("public")), wire(pub.get(0).message()));
        assertEquals(List.of(1L, 2L), positions(after(store, PRIVATE_ROOM, 0, oldest)));
        assertEquals(1, store.maxPosition(ROOM));
        assertEquals(2, store.maxPosition(PRIVATE_ROOM));
        assertEquals(0, store.maxPosition(new TopicKey(false, "never used")));
    }

    @Test
    void aPositionIsWrittenOnceAndNeverOverwritten() throws Exception {
        PgBroadcastStore store = open();
        store.append(ROOM, 1, payload("first"), null);
        after(store, ROOM, 0, new long[1]);
        store.append(ROOM, 1, payload("second"), null);
        List<PgBroadcastStore.Stored> got = after(store, ROOM, 0, new long[1]);
        assertEquals(1, got.size());
        assertArrayEquals(wireOfPush(ROOM, payload("first")), wire(got.get(0).message()));
    }

    @Test
    void userBroadcastsRoundTripWithBinaryPayloadAndMetadata() throws Exception {
        PgBroadcastStore store = open();
        byte[] binary = {0, 1, 2, (byte) 0xFF, 0, '\'', '"', '\\'};
        UserBroadcast bin = new UserBroadcast("bin'\"event", false, binary, "{\"herald_pos\":\"b:e:1\",\"q\":\"'\\\"\"}".getBytes(StandardCharsets.UTF_8));
        UserBroadcast json = new UserBroadcast("j", true, "{\"a\":\"\\u0000'\"}".getBytes(StandardCharsets.UTF_8), UserBroadcast.NO_METADATA);
        store.append(ROOM, 1, null, bin);
        store.append(ROOM, 2, null, json);
        List<PgBroadcastStore.Stored> got = after(store, ROOM, 0, new long[1]);
        assertEquals(2, got.size());
        assertArrayEquals(wire(Outbound.userBroadcast(ROOM.joinTopic(), bin)), wire(got.get(0).message()));
        assertArrayEquals(wire(Outbound.userBroadcast(ROOM.joinTopic(), json)), wire(got.get(1).message()));
        // The vsn-1 (JSON) form of the JSON one too: it is rebuilt as a user broadcast, not as a push.
        assertArrayEquals(Outbound.userBroadcast(ROOM.joinTopic(), json).frameFor(ProtocolVersion.V1).bytes(),
                got.get(1).message().frameFor(ProtocolVersion.V1).bytes());
    }

    @Test
    void hostileTextStaysAParameterAndRoundTrips() throws Exception {
        PgBroadcastStore store = open();
        String injection = "x'); DELETE FROM herald.replay_broadcast; --";
        TopicKey hostileTopic = new TopicKey(false, "room'; DROP TABLE herald.replay_epoch; --\"\\");
        ObjectNode hostile = payload(injection);
        hostile.put("nul", "before\u0000after");
        hostile.put("quotes", "'\"`$$ $tag$ \\' E'\\x00'");
        hostile.put("unicode", "é 日本 \uD83D\uDE00 \u2028");
        hostile.put("large", "L".repeat(2_000_000));
        store.append(ROOM, 1, payload("before"), null);
        store.append(ROOM, 2, hostile, null);
        store.append(hostileTopic, 1, payload(injection), null);
        List<PgBroadcastStore.Stored> got = after(store, ROOM, 0, new long[1]);
        assertEquals(List.of(1L, 2L), positions(got), "nothing was deleted by the payload");
        assertArrayEquals(wireOfPush(ROOM, hostile), wire(got.get(1).message()));
        List<PgBroadcastStore.Stored> other = after(store, hostileTopic, 0, new long[1]);
        assertEquals(1, other.size());
        assertEquals(hostileTopic.joinTopic(), other.get(0).message().topic());
        assertEquals(1, store.maxPosition(hostileTopic));
        assertEquals(1, rows("true AND position = 1 AND topic = 'room1'"));
        try (Connection c = pg.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM herald.replay_epoch")) {
            rs.next();
            assertEquals(1, rs.getLong(1), "the epoch table is still there");
        }
    }

    @Test
    void aRowPostgresRefusesLosesNoOtherTopicsMessagesOfItsBatch() throws Exception {
        PgBroadcastStore store = open();
        TopicKey other = new TopicKey(false, "other");
        store.append(ROOM, 1, payload("kept 1"), null);
        // PostgreSQL text cannot hold NUL: this row fails, and with it (before) the whole 20 ms batch.
        store.append(new TopicKey(false, "bad\u0000topic"), 1, payload("refused"), null);
        store.append(other, 1, payload("kept 2"), null);
        store.append(ROOM, 2, payload("kept 3"), null);
        assertEquals(List.of(1L, 2L), positions(after(store, ROOM, 0, new long[1])));
        assertEquals(List.of(1L), positions(after(store, other, 0, new long[1])));
    }

    @Test
    void messagesOlderThanTheAgeBoundAreNotReadBack() throws Exception {
        PgBroadcastStore store = open(60_000, 10_000);
        for (long pos = 1; pos <= 3; pos++) store.append(ROOM, pos, payload("m" + pos), null);
        after(store, ROOM, 0, new long[1]);
        // As if written two minutes ago: older than the one-minute bound, not yet swept.
        pg.sql("UPDATE herald.replay_broadcast SET created_at = now() - interval '2 minutes' WHERE position <= 2");
        long[] oldest = new long[1];
        assertEquals(List.of(3L), positions(after(store, ROOM, 0, oldest)));
        assertEquals(3, oldest[0], "the oldest position counts only what is young enough");
        pg.sql("UPDATE herald.replay_broadcast SET created_at = now() - interval '2 minutes'");
        assertTrue(after(store, ROOM, 0, oldest).isEmpty());
        assertEquals(0, oldest[0], "0: nothing stored within the bound");
        assertEquals(3, store.maxPosition(ROOM), "positions are still not reused: the old rows still count here");
    }

    @Test
    void theSweepTrimsEachTopicToItsCountAndDeletesWhatIsTooOld() throws Exception {
        PgBroadcastStore store = open(60_000, 2);
        for (long pos = 1; pos <= 5; pos++) store.append(ROOM, pos, payload("m" + pos), null);
        store.append(PRIVATE_ROOM, 7, payload("p"), null);
        store.append(new TopicKey(false, "old"), 1, payload("o"), null);
        after(store, ROOM, 0, new long[1]);
        pg.sql("UPDATE herald.replay_broadcast SET created_at = now() - interval '2 minutes' WHERE topic = 'old'");
        assertEquals(7, rows("true"), "not trimmed by the write itself");
        // The sweep runs on the store's writer 10 s after opening and every 10 s after: wait for the first one.
        long end = System.currentTimeMillis() + 15_000;
        while (rows("true") != 3 && System.currentTimeMillis() < end) Thread.sleep(50);
        assertEquals(List.of(4L, 5L), positions(after(store, ROOM, 0, new long[1])), "the newest two of the topic are kept");
        assertEquals(1, rows("private AND position = 7"), "another topic keeps its own two");
        assertEquals(0, rows("topic = 'old'"), "too old: deleted");
    }

    @Test
    void aReopenedStoreKeepsTheEpochAndServesWhatWasStoredBefore() throws Exception {
        PgBroadcastStore first = open();
        String epoch = first.epoch();
        assertTrue(epoch.matches("[0-9a-f]+"), epoch);
        assertFalse(first.previousRunCrashed(), "a brand-new store has lost nothing");
        for (long pos = 1; pos <= 3; pos++) first.append(ROOM, pos, payload("m" + pos), null);
        first.close(); // flushes and marks a clean stop

        PgBroadcastStore second = open();
        assertEquals(epoch, second.epoch(), "positions stay comparable across restarts");
        assertFalse(second.previousRunCrashed());
        assertEquals(3, second.maxPosition(ROOM));
        List<PgBroadcastStore.Stored> got = after(second, ROOM, 1, new long[1]);
        assertEquals(List.of(2L, 3L), positions(got));
        assertArrayEquals(wireOfPush(ROOM, payload("m3")), wire(got.get(1).message()));
    }

    @Test
    void aNewDatabaseGetsANewEpoch() throws Exception {
        PgBroadcastStore first = open();
        String epoch = first.epoch();
        first.close();
        pg.sql("TRUNCATE herald.replay_epoch");
        assertNotEquals(epoch, open().epoch());
    }

    @Test
    void aStoreLeftWithoutACleanStopIsReportedAsCrashed() throws Exception {
        PgBroadcastStore first = open();
        first.close();
        // What a killed engine leaves behind: it marked the store in use and never marked it clean again.
        pg.sql("UPDATE herald.replay_epoch SET clean = false");
        PgBroadcastStore second = open();
        assertTrue(second.previousRunCrashed());
        second.close();
        assertFalse(open().previousRunCrashed(), "the crash is reported once; the clean stop after it counts");
    }

    /** A broker that delivers nothing: these tests look at the positions and resumes only. */
    private static final class SilentBroker implements Broker {
        final List<Outbound> published = new ArrayList<>();

        @Override
        public void subscribe(Channel channel) {
        }

        @Override
        public void unsubscribe(Channel channel) {
        }

        @Override
        public synchronized int publish(TopicKey key, Outbound message, Channel except, boolean presenceOnly) {
            published.add(message);
            return 0;
        }

        @Override
        public int subscribers(TopicKey key) {
            return 0;
        }
    }

    private static TopicLog topicLog(PgBroadcastStore store, Broker broker) {
        return new TopicLog(ROOM, store.epoch(), broker, 100, Long.MAX_VALUE, new ReplayBudget(Long.MAX_VALUE, HOUR_MS),
                store, 0, false);
    }

    private static void publish(TopicLog log, String text) {
        assertTrue(log.publish(offset -> {
            ObjectNode p = payload(text + offset);
            return new TopicLog.Built(Outbound.push(ROOM.joinTopic(), "broadcast", p), p, null);
        }, null) >= 0);
    }

    private static TopicLog.Replay resume(TopicLog log, String position) {
        TopicLog.Replay[] got = new TopicLog.Replay[1];
        assertTrue(log.subscribe(new Channel(null, ROOM, "1", JoinRequest.parse(Json.object()), "", null), position,
                r -> got[0] = r));
        return got[0];
    }

    @Test
    void afterACleanRestartAResumeIsServedFromTheStoreAndOffsetsContinue() throws Exception {
        PgBroadcastStore first = open();
        SilentBroker broker = new SilentBroker();
        TopicLog before = topicLog(first, broker);
        for (int i = 0; i < 4; i++) publish(before, "m");
        String seen = before.position(2);
        first.close();

        PgBroadcastStore second = open();
        TopicLog after = topicLog(second, new SilentBroker());
        assertEquals(before.position(4), after.currentPosition(), "the new log continues at the stored maximum");
        TopicLog.Replay replay = resume(after, seen);
        assertTrue(replay.recovered(), "served from the store, although the memory window is empty");
        assertEquals(2, replay.messages().size());
        assertArrayEquals(wire(broker.published.get(2)), wire(replay.messages().get(0)));
        assertArrayEquals(wire(broker.published.get(3)), wire(replay.messages().get(1)));
        assertTrue(resume(after, before.position(4)).recovered(), "missed nothing");
    }

    @Test
    void afterACrashOffsetsSkipAheadAndResumesIntoThePreviousRunAreNotRecoverable() throws Exception {
        PgBroadcastStore first = open();
        TopicLog before = topicLog(first, new SilentBroker());
        for (int i = 0; i < 3; i++) publish(before, "m");
        first.close();
        pg.sql("UPDATE herald.replay_epoch SET clean = false");

        PgBroadcastStore second = open();
        assertTrue(second.previousRunCrashed());
        TopicLog after = topicLog(second, new SilentBroker());
        assertEquals(before.position(3 + TopicLog.CRASH_GAP - 1), after.currentPosition(),
                "no offset the crashed run may have handed out unflushed is given again");
        TopicLog.Replay replay = resume(after, before.position(1));
        assertFalse(replay.recovered(), "its tail may be lost: the client must refetch");
        assertTrue(replay.messages().isEmpty());
        SilentBroker liveBroker = new SilentBroker();
        TopicLog live = topicLog(second, liveBroker);
        publish(live, "new");
        assertSame(liveBroker.published.get(0), resume(live, live.position(3 + TopicLog.CRASH_GAP - 1)).messages().get(0),
                "messages of this run resume normally");
    }
}
