package dev.herald.runtime.boot;

import dev.herald.runtime.core.FakeConnection;
import dev.herald.runtime.core.HandshakeVerdict;
import dev.herald.runtime.core.RealtimeSession;
import dev.herald.runtime.core.TopicKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.metrics.ChannelStats;
import dev.herald.runtime.auth.Tokens;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the admin API reads off the engine: per-topic activity and latency, drops on the topic, admin disconnects. */
class AdminSessionTest {
    private Engine engine;

    @AfterEach
    void stop() {
        if (engine != null) engine.close();
    }

    private RealtimeSession connect(FakeConnection conn) {
        HandshakeVerdict v = engine.checkHandshake("2.0.0", Tokens.valid(), null);
        assertTrue(v.accepted(), v.body());
        return engine.open(conn, v);
    }

    private static String join(String topic) {
        return "[\"1\",\"1\",\"realtime:" + topic + "\",\"phx_join\",{\"config\":{\"broadcast\":{\"ack\":true}}}]";
    }

    private static String broadcast(String topic, String payload) {
        return "[\"1\",\"2\",\"realtime:" + topic + "\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"e\",\"payload\":" + payload + "}]";
    }

    @Test
    void activityLatencyAndDropsAreRecordedPerTopic() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of("HERALD_LIMITS_MAX_PAYLOAD_KB", "1"));
        FakeConnection ca = new FakeConnection();
        FakeConnection cb = new FakeConnection();
        RealtimeSession a = connect(ca);
        RealtimeSession b = connect(cb);
        a.onText(join("room"));
        b.onText(join("room"));
        for (int i = 0; i < 3; i++) a.onText(broadcast("room", "{\"i\":" + i + "}"));
        ChannelStats s = engine.activity().peek(new TopicKey(false, "room"));
        assertNotNull(s);
        assertEquals(3, s.totalIn());
        assertEquals(3, s.totalOut(), "self is off: only b receives");
        assertTrue(s.latencyMs(0.5) > 0);
        assertTrue(s.inPerSecond() > 0);
        a.onText(broadcast("room", "{\"big\":\"" + "x".repeat(2_000) + "\"}"));
        assertEquals(Map.of(ErrorCode.PAYLOAD_SIZE_EXCEEDED, 1L), s.drops());
        assertEquals(1, s.recentDrops());
        assertEquals(List.of(a.channels().get(0).key()), List.of(new TopicKey(false, "room")));
        assertEquals(0, engine.presence().members(new TopicKey(false, "room")), "nobody tracked presence");
    }

    @Test
    void adminDisconnectTellsEachChannelThenClosesTheSocket() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of());
        FakeConnection conn = new FakeConnection();
        RealtimeSession s = connect(conn);
        s.onText(join("one"));
        s.onText(join("two"));
        s.disconnectByAdmin("maintenance");
        assertEquals(1000, conn.awaitClose());
        List<JsonNode> system = conn.events("system");
        assertEquals(2, system.size());
        for (JsonNode m : system) {
            assertEquals("error", m.get(4).get("status").asText());
            assertEquals("Disconnected by an administrator: maintenance", m.get(4).get("message").asText());
        }
        assertEquals(2, conn.events("phx_close").size());
        assertEquals(0, s.channelCount());
        assertTrue(engine.metrics().scrape().contains("herald_admin_disconnects_total 1.0"));
    }

    @Test
    void demoModeRunsLiveChannels() throws Exception {
        engine = RealtimeSessionTest.engine(Map.of("HERALD_DEMO", "true"));
        long end = System.currentTimeMillis() + 5_000;
        ChannelStats lobby = null;
        while (System.currentTimeMillis() < end) {
            lobby = engine.activity().peek(new TopicKey(false, "demo-lobby"));
            if (lobby != null && lobby.totalIn() > 4 && lobby.totalOut() > 0) break;
            Thread.sleep(50);
        }
        assertNotNull(lobby);
        assertTrue(lobby.totalIn() > 4, "demo broadcasts flow");
        assertEquals(4, engine.presence().members(new TopicKey(false, "demo-lobby")));
        assertTrue(engine.sessions().list().stream().allMatch(x -> x.id().startsWith("demo-")));
        assertEquals(4, engine.sessionCount());
    }
}
