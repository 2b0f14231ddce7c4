package dev.herald.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.core.Channel;
import dev.herald.runtime.core.FakeConnection;
import dev.herald.runtime.core.HandshakeVerdict;
import dev.herald.runtime.core.RealtimeSession;
import dev.herald.runtime.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

public class RealtimeSessionTest {
    private Engine engine;

    @BeforeEach
    void start() {
        engine = engine(Map.of());
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    public static Engine engine(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("HERALD_JWT_SECRET", Tokens.SECRET, "HERALD_CDC_ENABLED", "false", "HERALD_REPLAY_MAX_MESSAGES", "0"));
        env.putAll(extra);
        return EngineBootstrap.start(HeraldConfig.load(env, new Properties()), EngineBootstrap.Hosting.STANDALONE);
    }

    private record Client(RealtimeSession session, FakeConnection conn) {
        void text(String s) {
            session.onText(s);
        }
    }

    private Client connect(String vsn) {
        FakeConnection conn = new FakeConnection();
        HandshakeVerdict v = engine.checkHandshake(vsn, Tokens.valid(), null);
        assertTrue(v.accepted());
        return new Client(engine.open(conn, v), conn);
    }

    private static String join(String ref, String topic, String config) {
        return "[\"" + ref + "\",\"" + ref + "\",\"" + topic + "\",\"phx_join\",{\"config\":" + config + "}]";
    }

    private static final String PUBLIC = "{\"broadcast\":{\"ack\":false,\"self\":false},\"presence\":{\"key\":\"\",\"enabled\":false},\"postgres_changes\":[],\"private\":false}";

    @Test
    void heartbeatIsAnsweredOnPhoenixWithoutChannels() {
        Client c = connect("2.0.0");
        c.text("[null,\"4\",\"phoenix\",\"heartbeat\",{}]");
        assertEquals("[null,\"4\",\"phoenix\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]", c.conn().last());
        Client v1 = connect("1.0.0");
        v1.text("{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":\"9\"}");
        assertEquals("{\"topic\":\"phoenix\",\"event\":\"phx_reply\",\"payload\":{\"status\":\"ok\",\"response\":{}},\"ref\":\"9\"}", v1.conn().last());
    }

    @Test
    void joinReplyEchoesRefsAndPostgresChangesWithStableIntegerIds() throws Exception {
        Client c = connect("2.0.0");
        String cfg = "{\"postgres_changes\":[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"todos\",\"filter\":\"id=eq.1\",\"select\":[\"a\"]},null,{\"event\":\"*\",\"schema\":\"public\"}]}";
        c.text(join("3", "realtime:room1", cfg));
        JsonNode reply = c.conn().events("phx_reply").get(0);
        // Without change capture the bindings are refused after the reply, never silently accepted.
        JsonNode system = c.conn().events("system").get(0).get(4);
        assertEquals("postgres_changes", system.get("extension").asText());
        assertEquals("error", system.get("status").asText());
        assertEquals("3", reply.get(0).asText());
        assertEquals("3", reply.get(1).asText());
        assertEquals("phx_reply", reply.get(3).asText());
        assertEquals("ok", reply.get(4).get("status").asText());
        JsonNode pg = reply.get(4).get("response").get("postgres_changes");
        assertEquals(2, pg.size());
        assertEquals("INSERT", pg.get(0).get("event").asText());
        assertEquals("id=eq.1", pg.get(0).get("filter").asText());
        assertEquals("a", pg.get(0).get("select").get(0).asText());
        assertTrue(pg.get(0).get("id").isInt());
        assertTrue(pg.get(1).get("id").isInt());
        Client other = connect("2.0.0");
        other.text(join("5", "realtime:room2", cfg));
        JsonNode pg2 = other.conn().events("phx_reply").get(0).get(4).get("response").get("postgres_changes");
        assertEquals(pg.get(0).get("id"), pg2.get(0).get("id"));
        c.text(join("7", "realtime:room3", "{}"));
        assertEquals(0, Json.read(c.conn().last()).get(4).get("response").get("postgres_changes").size());
    }

    @Test
    void unmatchedTopicsAndTopicNameRequired() throws Exception {
        Client c = connect("2.0.0");
        c.text("[\"1\",\"1\",\"room\",\"phx_join\",{}]");
        assertEquals("[null,\"1\",\"room\",\"phx_reply\",{\"status\":\"error\",\"response\":{\"reason\":\"unmatched topic\"}}]", c.conn().last());
        c.text("[\"2\",\"2\",\"realtime:x\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"e\",\"payload\":{}}]");
        assertEquals("unmatched topic", Json.read(c.conn().last()).get(4).get("response").get("reason").asText());
        c.text("[\"3\",\"3\",\"realtime:x\",\"phx_leave\",{}]");
        assertEquals("ok", Json.read(c.conn().last()).get(4).get("status").asText());
        c.text(join("4", "realtime:", "{}"));
        assertEquals("TopicNameRequired: You must provide a topic name", Json.read(c.conn().last()).get(4).get("response").get("reason").asText());
    }

    @Test
    void aTopicNameWithNulIsRefusedAndNothingIsPublishedOnIt() throws Exception {
        Client c = connect("2.0.0");
        c.text(join("5", "realtime:a\\u0000b", "{}"));
        assertEquals("TopicNameInvalid: Topic names may not contain the NUL character",
                Json.read(c.conn().last()).get(4).get("response").get("reason").asText());
        assertEquals(0, c.session().channelCount(), "no channel was joined");
        engine.broadcastJson("a\u0000b", false, "e", Json.object(), null, null);
        assertEquals(0, engine.broadcasts().topicLogCount(), "a REST or plugin broadcast to such a name is not published");
        assertEquals(2, (long) engine.metrics().drops(ErrorCode.TOPIC_NAME_INVALID), "the join and the broadcast are counted");
    }

    @Test
    void leaveRepliesThenClosesWithJoinRefAsRef() throws Exception {
        Client c = connect("2.0.0");
        c.text(join("3", "realtime:room", PUBLIC));
        assertEquals(1, engine.metrics().joinedChannels());
        c.conn().clear();
        c.text("[\"3\",\"8\",\"realtime:room\",\"phx_leave\",{}]");
        List<String> t = c.conn().texts();
        assertEquals("[\"3\",\"8\",\"realtime:room\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]", t.get(0));
        assertEquals("[\"3\",\"3\",\"realtime:room\",\"phx_close\",{}]", t.get(1));
        assertEquals(0, engine.metrics().joinedChannels());
    }

    @Test
    void duplicateJoinClosesTheOldChannelAndStaleJoinRefIsStillRouted() throws Exception {
        Client c = connect("2.0.0");
        c.text(join("3", "realtime:room", PUBLIC));
        c.conn().clear();
        c.text(join("6", "realtime:room", "{\"broadcast\":{\"ack\":true}}"));
        List<String> t = c.conn().texts();
        assertEquals("[\"3\",\"3\",\"realtime:room\",\"phx_close\",{}]", t.get(0));
        assertEquals("ok", Json.read(t.get(1)).get(4).get("status").asText());
        assertEquals(1, engine.metrics().joinedChannels());
        c.conn().clear();
        c.text("[\"1\",\"9\",\"realtime:room\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"e\",\"payload\":{}}]");
        c.text("[null,\"10\",\"realtime:room\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"e\",\"payload\":{}}]");
        assertEquals(List.of("[\"1\",\"9\",\"realtime:room\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]",
                "[null,\"10\",\"realtime:room\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]"), c.conn().texts());
    }

    @Test
    void privateJoinIsRefusedUntilPoliciesExist() throws Exception {
        Client c = connect("2.0.0");
        c.text(join("3", "realtime:secret", "{\"private\":true}"));
        assertEquals("Unauthorized: You do not have permissions to read from this Channel topic: secret",
                Json.read(c.conn().last()).get(4).get("response").get("reason").asText());
        assertEquals(0, engine.metrics().joinedChannels());
    }

    @Test
    void joinWithBadChannelTokenIsRefusedWithTheCodePrefix() throws Exception {
        Client c = connect("2.0.0");
        c.text("[\"3\",\"3\",\"realtime:r\",\"phx_join\",{\"config\":{},\"access_token\":\"" + Tokens.anon(1) + "\"}]");
        assertTrue(Json.read(c.conn().last()).get(4).get("response").get("reason").asText().startsWith("InvalidJWTToken: Token has expired "));
        c.text("[\"4\",\"4\",\"realtime:r\",\"phx_join\",{\"config\":{},\"access_token\":\"nope\"}]");
        assertEquals("MalformedJWT: The token provided is not a valid JWT", Json.read(c.conn().last()).get(4).get("response").get("reason").asText());
        c.text("[\"5\",\"5\",\"realtime:r\",\"phx_join\",{\"config\":{},\"access_token\":\"sb_publishable_abc\"}]");
        assertEquals("ok", Json.read(c.conn().last()).get(4).get("status").asText());
    }

    @Test
    void broadcastSelfAckAndMixedVersions() throws Exception {
        Client a = connect("2.0.0");
        Client b = connect("2.0.0");
        Client v1 = connect("1.0.0");
        a.text(join("1", "realtime:room", "{\"broadcast\":{\"self\":\"true\",\"ack\":true}}"));
        b.text(join("1", "realtime:room", PUBLIC));
        v1.text("{\"topic\":\"realtime:room\",\"event\":\"phx_join\",\"payload\":{\"config\":{}},\"ref\":\"1\",\"join_ref\":\"1\"}");
        a.conn().clear();
        b.conn().clear();
        v1.conn().clear();
        // vsn-2 binary kind 3 with a JSON payload, as realtime-js sends it.
        byte[] kind3 = frame3("1", "2", "realtime:room", "cursor", true, "{\"x\":1}".getBytes(StandardCharsets.UTF_8));
        a.session().onBinary(ByteBuffer.wrap(kind3));
        byte[] expected4 = concat(HexFormat.of().parseHex("040d060001"), "realtime:roomcursor{\"x\":1}".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(expected4, b.conn().binaries().get(0));
        assertArrayEquals(expected4, a.conn().binaries().get(0), "self: true delivers to the sender");
        assertEquals("[\"1\",\"2\",\"realtime:room\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]", a.conn().texts().get(0));
        assertEquals("{\"topic\":\"realtime:room\",\"event\":\"broadcast\",\"payload\":{\"type\":\"broadcast\",\"event\":\"cursor\",\"payload\":{\"x\":1}},\"ref\":null}",
                v1.conn().last());

        // A binary payload goes to vsn 2 only.
        v1.conn().clear();
        b.session().onBinary(ByteBuffer.wrap(frame3("1", "3", "realtime:room", "bin", false, new byte[] {1, 2, 3})));
        assertTrue(b.conn().binaries().size() == 1, "self false: the sender gets nothing back");
        assertTrue(v1.conn().texts().isEmpty());
        assertEquals(1.0, engine.metrics().drops(ErrorCode.BINARY_NOT_DELIVERABLE));
        byte[] got = a.conn().binaries().get(1);
        assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOfRange(got, got.length - 3, got.length));

        // A vsn-1 JSON push reaches vsn 2 as a text array, unchanged.
        b.conn().clear();
        v1.text("{\"topic\":\"realtime:room\",\"event\":\"broadcast\",\"payload\":{\"type\":\"broadcast\",\"event\":\"hi\",\"payload\":{\"n\":2}},\"ref\":\"4\",\"join_ref\":\"1\"}");
        assertEquals("[null,null,\"realtime:room\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"hi\",\"payload\":{\"n\":2}}]", b.conn().last());
        assertTrue(v1.conn().texts().isEmpty(), "no reply without ack, no echo without self");
    }

    @Test
    void oversizePayloadGetsAnErrorAckAndTheConnectionStays() throws Exception {
        engine.close();
        engine = engine(Map.of("HERALD_LIMITS_MAX_PAYLOAD_KB", "1"));
        Client a = connect("2.0.0");
        Client b = connect("2.0.0");
        a.text(join("1", "realtime:room", "{\"broadcast\":{\"ack\":true}}"));
        b.text(join("1", "realtime:room", PUBLIC));
        b.conn().clear();
        a.session().onBinary(ByteBuffer.wrap(frame3("1", "2", "realtime:room", "big", false, new byte[1501])));
        assertEquals("[\"1\",\"2\",\"realtime:room\",\"phx_reply\",{\"status\":\"error\",\"response\":\"payload_size_exceeded\"}]", a.conn().last());
        a.text("[\"1\",\"3\",\"realtime:room\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"e\",\"payload\":{\"s\":\"" + "x".repeat(1600) + "\"}}]");
        assertEquals("[\"1\",\"3\",\"realtime:room\",\"phx_reply\",{\"status\":\"error\",\"response\":\"payload_size_exceeded\"}]", a.conn().last());
        assertTrue(b.conn().frames.isEmpty());
        assertNull(a.conn().closeCode);
        a.session().onBinary(ByteBuffer.wrap(frame3("1", "4", "realtime:room", "ok", false, new byte[1500])));
        assertEquals(1, b.conn().binaries().size());
    }

    @Test
    void malformedInputIsDroppedAndTheSessionKeepsWorking() {
        Client c = connect("2.0.0");
        c.text("{not json");
        c.text("[1,2]");
        c.text("{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":\"1\"}");
        c.session().onBinary(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0}));
        c.session().onBinary(ByteBuffer.wrap(new byte[] {1, 0}));
        c.session().onBinary(ByteBuffer.wrap(new byte[] {2}));
        c.text(join("1", "realtime:room", PUBLIC));
        c.text("[\"1\",\"2\",\"realtime:room\",\"whatever\",{}]");
        assertEquals(1, c.conn().texts().size(), "only the join is answered");
        assertEquals(3.0, engine.metrics().drops(ErrorCode.MALFORMED_MESSAGE));
        assertEquals(3.0, engine.metrics().drops(ErrorCode.UNSUPPORTED_BINARY_KIND));
        assertEquals(1.0, engine.metrics().drops(ErrorCode.UNKNOWN_EVENT));
        c.text("[null,\"9\",\"phoenix\",\"heartbeat\",{}]");
        assertEquals("[null,\"9\",\"phoenix\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]", c.conn().last());
        assertNull(c.conn().closeCode);
    }

    @Test
    void aFrameOverTheLimitClosesTheConnection() throws Exception {
        engine.close();
        engine = engine(Map.of("HERALD_WS_MAX_FRAME_BYTES", "2048"));
        Client c = connect("2.0.0");
        c.session().onBinary(ByteBuffer.wrap(new byte[2049]));
        assertEquals(1009, c.conn().awaitClose());
        assertEquals(1.0, engine.metrics().drops(ErrorCode.FRAME_TOO_LARGE));
    }

    @Test
    void presenceStateDiffsAndLeavesOnClose() throws Exception {
        Client a = connect("2.0.0");
        Client b = connect("1.0.0");
        a.text(join("1", "realtime:p", "{\"presence\":{\"key\":\"alice\",\"enabled\":true}}"));
        assertEquals("[\"1\",null,\"realtime:p\",\"presence_state\",{}]", a.conn().last());
        a.text("[\"1\",\"2\",\"realtime:p\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{\"name\":\"A\"}}]");
        JsonNode diff = a.conn().events("presence_diff").get(0).get(4);
        JsonNode meta = diff.get("joins").get("alice").get("metas").get(0);
        assertEquals("A", meta.get("name").asText());
        String ref = meta.get("phx_ref").asText();
        assertEquals(20, ref.length());
        assertTrue(ref.startsWith("g20AAAAI"));
        assertEquals(0, diff.get("leaves").size());

        b.text("{\"topic\":\"realtime:p\",\"event\":\"phx_join\",\"payload\":{\"config\":{\"presence\":{\"key\":42,\"enabled\":\"TRUE\"}}},\"ref\":\"1\",\"join_ref\":\"1\"}");
        JsonNode state = b.conn().events("presence_state").get(0).get("payload");
        assertEquals(ref, state.get("alice").get("metas").get(0).get("phx_ref").asText());

        // Same meta again: no-op, still acknowledged.
        a.conn().clear();
        a.text("[\"1\",\"3\",\"realtime:p\",\"presence\",{\"type\":\"presence\",\"event\":\"TRACK\",\"payload\":{\"name\":\"A\"}}]");
        assertEquals(List.of("[\"1\",\"3\",\"realtime:p\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]"), a.conn().texts());

        // Update: leave of the old meta + join of the new one with phx_ref_prev.
        a.text("[\"1\",\"4\",\"realtime:p\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{\"name\":\"B\"}}]");
        JsonNode upd = b.conn().events("presence_diff").get(0).get("payload");
        assertEquals(ref, upd.get("leaves").get("alice").get("metas").get(0).get("phx_ref").asText());
        assertEquals(ref, upd.get("joins").get("alice").get("metas").get(0).get("phx_ref_prev").asText());

        // Non-map payload is refused; the channel stays.
        a.text("[\"1\",\"5\",\"realtime:p\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":[1]}]");
        assertEquals("[\"1\",\"5\",\"realtime:p\",\"phx_reply\",{\"status\":\"error\",\"response\":{\"reason\":\"Presence track payload must be a map\"}}]", a.conn().last());

        // Socket death produces a leave for the others.
        b.conn().clear();
        a.session().onClosed();
        JsonNode leave = b.conn().events("presence_diff").get(0).get("payload");
        assertEquals("B", leave.get("leaves").get("alice").get("metas").get(0).get("name").asText());
        assertEquals(0, engine.sessionCount() - 1);
    }

    @Test
    void payloadValuesTheWireCannotCarryAreAnsweredAndCounted() throws Exception {
        Client a = connect("2.0.0");
        Client b = connect("2.0.0");
        a.text(join("1", "realtime:big", "{\"broadcast\":{\"ack\":true},\"presence\":{\"key\":\"a\",\"enabled\":true}}"));
        b.text(join("1", "realtime:big", PUBLIC));
        b.conn().clear();
        // 1e99999 is valid JSON and parses, but no encoder can write it back out.
        a.text("[\"1\",\"2\",\"realtime:big\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"e\",\"payload\":{\"n\":[1e99999]}}]");
        assertEquals("[\"1\",\"2\",\"realtime:big\",\"phx_reply\",{\"status\":\"error\",\"response\":{\"reason\":"
                + "\"PayloadNotRepresentable: The payload holds a value the protocol cannot carry: a number with exponent 99999 (at most 9999)\"}}]",
                a.conn().last());
        a.text("[\"1\",\"3\",\"realtime:big\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{\"n\":-1e-10000}}]");
        assertTrue(a.conn().last().startsWith("[\"1\",\"3\",\"realtime:big\",\"phx_reply\",{\"status\":\"error\",\"response\":{\"reason\":\"PayloadNotRepresentable: "),
                a.conn().last());
        assertEquals(2.0, engine.metrics().drops(ErrorCode.PAYLOAD_NOT_REPRESENTABLE));
        assertTrue(b.conn().texts().isEmpty(), "nothing reached the other subscriber: " + b.conn().texts());
        // The sockets stay usable: an ordinary broadcast still goes through.
        a.text("[\"1\",\"4\",\"realtime:big\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"e\",\"payload\":{\"n\":1e9999}}]");
        assertEquals("[\"1\",\"4\",\"realtime:big\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]", a.conn().last());
        assertEquals(1, b.conn().texts().size() + b.conn().binaries().size());
    }

    @Test
    void trackOnAChannelWithoutPresenceEnablesDiffsButSendsNoState() throws Exception {
        Client a = connect("2.0.0");
        a.text(join("1", "realtime:q", PUBLIC));
        a.conn().clear();
        a.text("[\"1\",\"2\",\"realtime:q\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{}}]");
        assertEquals(1, a.conn().events("presence_diff").size());
        assertEquals(0, a.conn().events("presence_state").size());
        String key = a.conn().events("presence_diff").get(0).get(4).get("joins").fieldNames().next();
        assertEquals(36, key.length(), "default key is a random UUID");
    }

    @Test
    void accessTokenRefreshIsSilentAndABadOneShutsTheChannel() throws Exception {
        Client a = connect("2.0.0");
        a.text(join("1", "realtime:t", PUBLIC));
        a.conn().clear();
        a.text("[\"1\",\"2\",\"realtime:t\",\"access_token\",{\"access_token\":\"" + Tokens.valid() + "\"}]");
        a.text("[\"1\",\"3\",\"realtime:t\",\"access_token\",{\"access_token\":\"sb_secret_x\"}]");
        a.text("[\"1\",\"4\",\"realtime:t\",\"access_token\",{\"access_token\":null}]");
        assertTrue(a.conn().frames.isEmpty(), "never replied to");
        a.text("[\"1\",\"5\",\"realtime:t\",\"access_token\",{\"access_token\":\"garbage\"}]");
        assertEquals(List.of("[\"1\",null,\"realtime:t\",\"system\",{\"extension\":\"system\",\"status\":\"error\",\"message\":\"The token provided is not a valid JWT\",\"channel\":\"t\"}]",
                "[\"1\",\"1\",\"realtime:t\",\"phx_close\",{}]"), a.conn().texts());
        assertEquals(0, engine.metrics().joinedChannels());
    }

    @Test
    void aChannelClosesWhenItsTokenExpires() throws Exception {
        Client a = connect("2.0.0");
        long exp = System.currentTimeMillis() / 1000 + 1;
        a.text("[\"1\",\"1\",\"realtime:e\",\"phx_join\",{\"config\":{},\"access_token\":\"" + Tokens.anon(exp) + "\"}]");
        assertEquals("ok", Json.read(a.conn().last()).get(4).get("status").asText());
        long deadline = System.currentTimeMillis() + 5_000;
        while (a.conn().events("phx_close").isEmpty() && System.currentTimeMillis() < deadline) Thread.sleep(50);
        JsonNode system = a.conn().events("system").get(0).get(4);
        assertEquals("error", system.get("status").asText());
        assertTrue(system.get("message").asText().matches("Token has expired \\d+ seconds ago"), system.toString());
        assertNotNull(a.conn().events("phx_close").get(0));
        assertEquals(0, engine.metrics().joinedChannels());
        assertNull(a.conn().closeCode, "the socket stays open");
    }

    @Test
    void aSlowReaderIsDisconnectedWithoutBlockingThePublisher() throws Exception {
        engine.close();
        engine = engine(Map.of("HERALD_OUTBOUND_QUEUE_MAX_MESSAGES", "16"));
        Client slow = connect("2.0.0");
        Client fast = connect("2.0.0");
        slow.text(join("1", "realtime:s", PUBLIC));
        fast.text(join("1", "realtime:s", PUBLIC));
        slow.conn().stall = true;
        slow.text("[null,\"2\",\"phoenix\",\"heartbeat\",{}]");
        for (int i = 0; i < 40; i++) {
            engine.broadcastJson("s", false, "e", Json.object().put("i", i), null, null);
        }
        assertEquals(1008, slow.conn().awaitClose());
        assertEquals(1.0, engine.metrics().drops(ErrorCode.SLOW_CONSUMER));
        assertEquals(41, fast.conn().texts().size());
        assertFalse(fast.conn().closeCode != null);
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        engine.close();
        engine = engine(Map.of("HERALD_WS_IDLE_TIMEOUT_MS", "1000"));
        Client idle = connect("2.0.0");
        Client busy = connect("2.0.0");
        long end = System.currentTimeMillis() + 2_500;
        while (System.currentTimeMillis() < end) {
            busy.text("[null,\"1\",\"phoenix\",\"heartbeat\",{}]");
            Thread.sleep(200);
        }
        assertEquals(1000, idle.conn().awaitClose());
        assertNull(busy.conn().closeCode);
    }

    @Test
    void restPrivateMessagesAreNotDelivered() {
        Client a = connect("2.0.0");
        a.text(join("1", "realtime:r", PUBLIC));
        a.conn().clear();
        assertFalse(engine.broadcastJson("r", true, "e", Json.object(), null, null));
        assertTrue(engine.broadcastJson("r", false, "e", Json.object(), "m1", null));
        assertEquals(List.of("[null,null,\"realtime:r\",\"broadcast\",{\"payload\":{},\"event\":\"e\",\"type\":\"broadcast\",\"meta\":{\"id\":\"m1\"}}]"), a.conn().texts());
    }

    @Test
    void handshakeRefusalsCarryTheReferenceTexts() {
        assertEquals("{\"error\":\"API key is missing\"}", engine.checkHandshake("2.0.0", null, null).body());
        HandshakeVerdict bad = engine.checkHandshake("2.0.0", "x.y.z", null);
        assertEquals(401, bad.status());
        assertEquals("{\"error\":\"The token provided is not a valid JWT\"}", bad.body());
        assertEquals(2000, bad.delayMs());
        assertTrue(engine.checkHandshake("2.0.0", Tokens.anon(1), null).body().startsWith("{\"error\":\"Token has expired "));
        HandshakeVerdict vsn = engine.checkHandshake("9.0.0", Tokens.valid(), null);
        assertEquals(403, vsn.status());
        assertEquals("", vsn.body());
        assertTrue(engine.checkHandshake(null, "junk", Tokens.valid()).accepted(), "x-api-key header wins over the query");
    }

    static byte[] frame3(String joinRef, String ref, String topic, String event, boolean json, byte[] payload) {
        byte[] j = joinRef.getBytes(StandardCharsets.UTF_8);
        byte[] r = ref.getBytes(StandardCharsets.UTF_8);
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        byte[] e = event.getBytes(StandardCharsets.UTF_8);
        byte[] head = {3, (byte) j.length, (byte) r.length, (byte) t.length, (byte) e.length, 0, (byte) (json ? 1 : 0)};
        return concat(head, j, r, t, e, payload);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }
}
