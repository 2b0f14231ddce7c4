package dev.herald.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.core.FakeConnection;
import dev.herald.runtime.core.RealtimeSession;
import dev.herald.runtime.metrics.ChannelActivity;
import dev.herald.runtime.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Memory held for resume, for readers and for topics is bounded in bytes and returns when traffic stops: the
 * replay windows (per topic, all topics, age on a timer), idle topic logs, the global outbound budget, and the
 * console's per-topic records.
 */
class MemoryBoundsTest {
    private static final int MB = 1024 * 1024;
    private Engine engine;

    @AfterEach
    void stop() {
        if (engine != null) engine.close();
    }

    private record Client(RealtimeSession session, FakeConnection conn) {
    }

    private Client connect() {
        FakeConnection conn = new FakeConnection();
        return new Client(engine.open(conn, engine.checkHandshake("1.0.0", Tokens.valid(), null)), conn);
    }

    private static void join(Client c, String topic, String resume) {
        String broadcast = resume == null ? "{}" : "{\"herald_resume\":{\"broadcast\":\"" + resume + "\"}}";
        c.session().onText("{\"topic\":\"realtime:" + topic + "\",\"event\":\"phx_join\",\"payload\":{\"config\":{\"broadcast\":" + broadcast
                + "}},\"ref\":\"1\",\"join_ref\":\"1\"}");
    }

    private static JsonNode joinReply(Client c, String topic) throws Exception {
        for (String t : c.conn().texts()) {
            JsonNode n = Json.read(t);
            if (n.path("event").asText().equals("phx_reply") && n.path("topic").asText().equals("realtime:" + topic)) return n;
        }
        throw new AssertionError("no join reply on " + topic);
    }

    private static JsonNode recovery(Client c, String topic) throws Exception {
        for (String t : c.conn().texts()) {
            JsonNode n = Json.read(t);
            if (n.path("event").asText().equals("system") && n.path("topic").asText().equals("realtime:" + topic)
                    && n.path("payload").has("recovered")) return n.get("payload");
        }
        throw new AssertionError("no recovery notice on " + topic);
    }

    private static String big(int bytes) {
        return "x".repeat(bytes);
    }

    private void publish(String topic, String text) {
        engine.broadcastJson(topic, false, "e", Json.object().put("t", text), null, null);
    }

    private static void waitUntil(BooleanSupplier done, long ms, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + ms;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > end) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void oneTopicKeepsNoMoreThanItsBytes() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of("HERALD_REPLAY_MAX_MESSAGES", "10000",
                "HERALD_REPLAY_TOPIC_MAX_BYTES", String.valueOf(8 * MB), "HERALD_REPLAY_MAX_BYTES", String.valueOf(64 * MB)));
        Client c = connect();
        join(c, "room", null);
        String start = joinReply(c, "room").path("payload").path("response").path("herald_pos").path("broadcast").asText();
        for (int i = 0; i < 20; i++) publish("room", big(MB));
        // Each message costs its payload plus its encoded frame (twice: text and framed copy), about 3 MB here.
        assertTrue(engine.broadcasts().keptBytes() <= 8 * MB, "kept " + engine.broadcasts().keptBytes());
        assertTrue(engine.broadcasts().keptCount() >= 2, "still keeps the newest messages: " + engine.broadcasts().keptCount());
        // The start of the topic is gone: a resume from there is told to refetch.
        Client late = connect();
        join(late, "room", start);
        assertFalse(recovery(late, "room").path("recovered").asBoolean());
    }

    @Test
    void allTopicsTogetherKeepNoMoreThanTheTotal() {
        engine = RealtimeSessionTest.engine(Map.of("HERALD_REPLAY_MAX_MESSAGES", "10000",
                "HERALD_REPLAY_TOPIC_MAX_BYTES", String.valueOf(4 * MB), "HERALD_REPLAY_MAX_BYTES", String.valueOf(8 * MB)));
        // REST broadcasts of 1 MB to a new topic each, nobody subscribed: the flood of the adversarial review.
        for (int i = 0; i < 60; i++) publish("flood-" + i, big(MB));
        assertTrue(engine.broadcasts().keptBytes() <= 8 * MB, "kept " + engine.broadcasts().keptBytes());
        assertTrue(engine.broadcasts().keptCount() >= 6, "keeps the newest ones: " + engine.broadcasts().keptCount());
    }

    @Test
    void theAgeBoundIsAppliedByTheTimerAndIdleTopicsAreRetired() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of("HERALD_REPLAY_MAX_MESSAGES", "10000", "HERALD_REPLAY_MAX_AGE_MS", "500"));
        for (int i = 0; i < 50; i++) publish("aging-" + i, big(10_000));
        assertEquals(50, engine.broadcasts().keptCount());
        // Nobody touches these topics again: the sweep alone must drop their messages, then the logs themselves.
        waitUntil(() -> engine.broadcasts().keptCount() == 0, 3_000, "messages aged out");
        assertEquals(0, engine.broadcasts().keptBytes());
        waitUntil(() -> engine.broadcasts().topicLogCount() == 0, 3_000, "idle topic logs retired");
    }

    /** Publishes once to many other topics and waits until their logs are retired (their tombs fill every slot). */
    private void retireManyOtherTopics() throws InterruptedException {
        for (int i = 0; i < 20_000; i++) publish("other-" + i, "x");
        waitUntil(() -> engine.broadcasts().topicLogCount() == 0, 10_000, "the other topics retired");
    }

    private String lastPosition(Client c) throws Exception {
        List<String> texts = c.conn().texts();
        return Json.read(texts.get(texts.size() - 1)).path("payload").path("meta").path("herald_pos").asText();
    }

    @Test
    void aQuietTopicIsRetiredAndAResumeThatMissedNothingStillRecovers() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of("HERALD_REPLAY_MAX_MESSAGES", "10000", "HERALD_REPLAY_MAX_AGE_MS", "300"));
        Client first = connect();
        join(first, "quiet", null);
        publish("quiet", "one");
        String older = lastPosition(first);
        publish("quiet", "two");
        String last = lastPosition(first);
        first.session().onClosed();
        waitUntil(() -> engine.broadcasts().topicLogCount() == 0, 3_000, "the topic's log retired");
        Client back = connect();
        join(back, "quiet", last);
        JsonNode notice = recovery(back, "quiet");
        assertTrue(notice.path("recovered").asBoolean(), "nothing was missed: " + notice);
        publish("quiet", "three");
        String next = lastPosition(back);
        String[] l = last.split(":");
        String[] n = next.split(":");
        assertEquals(l[1], n[1], "the stream continues in its epoch");
        assertEquals(Long.parseLong(l[2]) + 1, Long.parseLong(n[2]), "and at its next offset");
        // A position from before the aged-out message is still told to refetch.
        Client stale = connect();
        join(stale, "quiet", older);
        assertFalse(recovery(stale, "quiet").path("recovered").asBoolean());
    }

    @Test
    void aRetiredTopicWhoseRecordWasLostGetsANewEpoch() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of("HERALD_REPLAY_MAX_MESSAGES", "10000", "HERALD_REPLAY_MAX_AGE_MS", "300"));
        Client first = connect();
        join(first, "quiet", null);
        publish("quiet", "hello");
        String old = lastPosition(first);
        assertTrue(old.startsWith("b:"), old);
        first.session().onClosed();
        waitUntil(() -> engine.broadcasts().topicLogCount() == 0, 3_000, "the topic's log retired");
        retireManyOtherTopics();
        Client back = connect();
        join(back, "quiet", old);
        assertFalse(recovery(back, "quiet").path("recovered").asBoolean(), "the forgotten window cannot be resumed");
        String now = joinReply(back, "quiet").path("payload").path("response").path("herald_pos").path("broadcast").asText();
        assertNotEquals(old.split(":")[1], now.split(":")[1], "a new incarnation has a new epoch: " + old + " / " + now);
    }

    @Test
    void theGlobalOutboundBudgetClosesTheFurthestBehindAndCountsSharedFramesOnce() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of("HERALD_OUTBOUND_MAX_TOTAL_BYTES", String.valueOf(16 * MB),
                "HERALD_OUTBOUND_QUEUE_MAX_BYTES", String.valueOf(64 * MB)));
        List<Client> paused = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Client p = connect();
            p.conn().stall = true;
            join(p, "t" + i, null);
            paused.add(p);
        }
        // Two paused readers of one topic share its frames: 4 MB queued for both counts once, not twice.
        Client twin = connect();
        twin.conn().stall = true;
        join(twin, "t0", null);
        Client reader = connect();
        join(reader, "t0", null);
        // The paused queues' join replies are in flight (not counted); the four broadcasts wait, shared by both.
        for (int i = 0; i < 4; i++) publish("t0", big(MB));
        assertEquals(8L * MB, engine.sessions().queuedBytes(), 8L * 4096, "shared frames count once (each at twice its size: text and framed copy)");
        for (int round = 0; round < 4; round++) for (int t = 1; t < 4; t++) publish("t" + t, big(MB));
        assertTrue(engine.sessions().queuedBytes() <= 16 * MB, "total " + engine.sessions().queuedBytes());
        int closed = 0;
        for (Client p : paused) {
            Integer code = p.conn().closeCode != null ? p.conn().closeCode : null;
            if (code != null) {
                assertEquals(1008, code);
                closed++;
            }
        }
        assertTrue(closed >= 1, "the furthest-behind readers are closed");
        assertNull(reader.conn().closeCode, "a reader that keeps up is not closed");
        assertTrue(engine.metrics().registry().get("herald.drops").tag("reason", ErrorCode.OUTBOUND_BUDGET_EXCEEDED.tag())
                .counter().count() >= 1, "counted under its own reason");
        int before = reader.conn().texts().size();
        publish("t0", "after");
        assertTrue(reader.conn().texts().size() > before, "the reader keeps receiving");
    }

    @Test
    void aRefusedJoinLeavesNoChannelRecord() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of());
        Client c = connect();
        c.session().onText("{\"topic\":\"realtime:secret-" + "a" + "\",\"event\":\"phx_join\",\"payload\":{\"config\":{\"private\":true}},"
                + "\"ref\":\"1\",\"join_ref\":\"1\"}");
        assertTrue(joinReply(c, "secret-a").path("payload").path("status").asText().equals("error"));
        assertTrue(engine.activity().snapshot().isEmpty(), "records: " + engine.activity().snapshot().keySet());
    }

    @Test
    void joinedAndLeftTopicsReturnTheirState() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of("HERALD_REPLAY_MAX_MESSAGES", "10000", "HERALD_REPLAY_MAX_AGE_MS", "300"));
        Client c = connect();
        for (int i = 0; i < 5_000; i++) {
            join(c, "used-" + i, null);
            c.session().onText("{\"topic\":\"realtime:used-" + i + "\",\"event\":\"broadcast\",\"payload\":{\"type\":\"broadcast\",\"event\":\"e\",\"payload\":{}},\"ref\":\"2\",\"join_ref\":\"1\"}");
            c.session().onText("{\"topic\":\"realtime:used-" + i + "\",\"event\":\"phx_leave\",\"payload\":{},\"ref\":\"3\",\"join_ref\":\"1\"}");
            if (i % 500 == 0) c.conn().frames.clear();
        }
        waitUntil(() -> engine.broadcasts().topicLogCount() == 0, 5_000, "topic logs retired");
        assertEquals(0, engine.broadcasts().keptCount());
        waitUntil(() -> engine.activity().snapshot().size() <= ChannelActivity.MAX_UNSUBSCRIBED, 3_000,
                "console records capped");
    }
}
