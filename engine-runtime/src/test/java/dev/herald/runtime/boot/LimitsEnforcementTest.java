package dev.herald.runtime.boot;

import dev.herald.runtime.core.FakeConnection;
import dev.herald.runtime.core.HandshakeVerdict;
import dev.herald.runtime.core.RealtimeSession;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.limits.LimitSettings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each limit refuses with Supabase's reason and lets traffic through again once the load stops. */
class LimitsEnforcementTest {
    private Engine engine;

    @AfterEach
    void stop() {
        if (engine != null) engine.close();
    }

    private void start(Map<String, String> limits) {
        engine = RealtimeSessionTest.engine(limits);
    }

    private record Client(RealtimeSession session, FakeConnection conn) {
        void text(String s) {
            session.onText(s);
        }

        JsonNode lastReply() throws Exception {
            List<JsonNode> r = conn.events("phx_reply");
            return r.get(r.size() - 1).get(4);
        }
    }

    private Client connect() {
        FakeConnection conn = new FakeConnection();
        HandshakeVerdict v = engine.checkHandshake("2.0.0", Tokens.valid(), null);
        assertTrue(v.accepted(), v.body());
        return new Client(engine.open(conn, v), conn);
    }

    private static String join(String topic) {
        return "[\"1\",\"1\",\"realtime:" + topic + "\",\"phx_join\",{\"config\":{\"broadcast\":{\"ack\":true}}}]";
    }

    @Test
    void concurrentUsers() throws Exception {
        start(Map.of("HERALD_LIMITS_MAX_CONCURRENT_USERS", "2"));
        Client a = connect();
        Client b = connect();
        Client c = connect();
        a.text(join("x"));
        b.text(join("x"));
        c.text(join("x"));
        assertEquals("ConnectionRateLimitReached: Too many connected users", c.lastReply().get("response").get("reason").asText());
        a.text(join("y"));
        assertEquals("ok", a.lastReply().get("status").asText(), "an existing user may join more channels");
        HandshakeVerdict refused = engine.checkHandshake("2.0.0", Tokens.valid(), null);
        assertEquals(429, refused.status());
        assertEquals("{\"error\":\"Too many connected users\"}", refused.body());
        b.session().onClosed();
        c.text(join("x"));
        assertEquals("ok", c.lastReply().get("status").asText(), "recovers once a user leaves");
    }

    @Test
    void joinsPerSecondRefuseAndCloseTheSocketThenRecover() throws Exception {
        start(Map.of("HERALD_LIMITS_MAX_JOINS_PER_SECOND", "5", "HERALD_LIMITS_RATE_WINDOW_MS", "1000"));
        Client c = connect();
        for (int i = 0; i < 5; i++) c.text(join("j" + i));
        c.text(join("j5"));
        assertEquals("ClientJoinRateLimitReached: Too many joins per second", c.lastReply().get("response").get("reason").asText());
        assertEquals(1001, c.conn().awaitClose());
        Thread.sleep(1_200);
        Client d = connect();
        d.text(join("later"));
        assertEquals("ok", d.lastReply().get("status").asText());
    }

    @Test
    void channelsPerClient() throws Exception {
        start(Map.of("HERALD_LIMITS_MAX_CHANNELS_PER_CLIENT", "2"));
        Client c = connect();
        c.text(join("a"));
        c.text(join("b"));
        c.text(join("c"));
        assertEquals("ChannelRateLimitReached: Too many channels", c.lastReply().get("response").get("reason").asText());
        c.text("[\"1\",\"2\",\"realtime:a\",\"phx_leave\",{}]");
        c.text(join("c"));
        assertEquals("ok", c.lastReply().get("status").asText());
    }

    @Test
    void eventsPerSecondShutTheSendingChannelAndRecover() throws Exception {
        start(Map.of("HERALD_LIMITS_MAX_EVENTS_PER_SECOND", "10", "HERALD_LIMITS_RATE_WINDOW_MS", "1000"));
        Client sender = connect();
        Client receiver = connect();
        sender.text(join("e"));
        receiver.text(join("e"));
        for (int i = 0; i < 20 && sender.session().channelCount() > 0; i++) {
            sender.text("[\"1\",\"" + (10 + i) + "\",\"realtime:e\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"m\",\"payload\":{\"i\":" + i + "}}]");
        }
        JsonNode system = sender.conn().events("system").get(0).get(4);
        assertEquals("Too many messages per second", system.get("message").asText());
        assertEquals("error", system.get("status").asText());
        assertEquals(1, sender.conn().events("phx_close").size());
        assertEquals(1, receiver.session().channelCount(), "receivers keep their channel");
        assertTrue(engine.metrics().drops(ErrorCode.EVENTS_RATE_LIMIT) >= 1);
        Thread.sleep(1_200);
        sender.text(join("e"));
        sender.text("[\"1\",\"99\",\"realtime:e\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"m\",\"payload\":{}}]");
        assertEquals("ok", sender.lastReply().get("status").asText());
    }

    @Test
    void clientPresenceCallsPerWindow() throws Exception {
        start(Map.of("HERALD_LIMITS_CLIENT_PRESENCE_MAX_CALLS", "3", "HERALD_LIMITS_CLIENT_PRESENCE_WINDOW_MS", "500"));
        Client c = connect();
        c.text(join("p"));
        for (int i = 0; i < 4; i++) {
            c.text("[\"1\",\"" + (5 + i) + "\",\"realtime:p\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{\"n\":" + i + "}}]");
        }
        assertEquals("Client presence rate limit exceeded", c.conn().events("system").get(0).get(4).get("message").asText());
        Thread.sleep(600);
        c.text(join("p"));
        c.text("[\"1\",\"20\",\"realtime:p\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{}}]");
        assertEquals("ok", c.lastReply().get("status").asText());
    }

    @Test
    void heraldDefaultsAllowAPresenceUpdateEverySecondForCollaborativeEditing() {
        LimitSettings d = LimitSettings.herald();
        assertTrue(d.clientPresenceMaxCalls() * 1000L / d.clientPresenceWindowMs() >= 1);
        assertEquals(3_000_500, d.maxPayloadBytes());
        assertEquals(3_000_500, LimitSettings.supabase().maxPayloadBytes());
        assertEquals(5, LimitSettings.supabase().clientPresenceMaxCalls());
    }

    @Test
    void presenceEventsPerSecond() throws Exception {
        start(Map.of("HERALD_LIMITS_MAX_PRESENCE_EVENTS_PER_SECOND", "4", "HERALD_LIMITS_RATE_WINDOW_MS", "1000"));
        Client a = connect();
        Client b = connect();
        a.text("[\"1\",\"1\",\"realtime:q\",\"phx_join\",{\"config\":{\"presence\":{\"enabled\":true}}}]");
        b.text("[\"1\",\"1\",\"realtime:q\",\"phx_join\",{\"config\":{\"presence\":{\"enabled\":true}}}]");
        a.text("[\"1\",\"2\",\"realtime:q\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{\"v\":1}}]");
        a.text("[\"1\",\"3\",\"realtime:q\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{\"v\":2}}]");
        assertEquals("Too many presence messages per second", a.conn().events("system").get(0).get(4).get("message").asText());
    }

    @Test
    void trackLargerThanThePayloadLimit() throws Exception {
        start(Map.of("HERALD_LIMITS_MAX_PAYLOAD_KB", "1"));
        Client c = connect();
        c.text(join("t"));
        c.text("[\"1\",\"2\",\"realtime:t\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{\"s\":\"" + "x".repeat(2000) + "\"}}]");
        assertEquals("Track message size exceeded", c.conn().events("system").get(0).get(4).get("message").asText());
    }

    @Test
    void privateOnlySwitch() throws Exception {
        start(Map.of("HERALD_PRIVATE_ONLY", "true"));
        Client c = connect();
        c.text(join("pub"));
        assertEquals("PrivateOnly: This project only allows private channels", c.lastReply().get("response").get("reason").asText());
    }

    @Test
    void limitsChangeAtRuntime() throws Exception {
        start(Map.of());
        Client c = connect();
        c.text(join("a"));
        engine.limits().update(engine.limits().settings().with(Map.of("herald.limits.max-channels-per-client", 1L)));
        c.text(join("b"));
        assertEquals("ChannelRateLimitReached: Too many channels", c.lastReply().get("response").get("reason").asText());
        engine.limits().update(LimitSettings.herald());
        c.text(join("b"));
        assertEquals("ok", c.lastReply().get("status").asText());
        assertNull(c.conn().closeCode);
        assertFalse(engine.limits().usersFull());
    }
}
