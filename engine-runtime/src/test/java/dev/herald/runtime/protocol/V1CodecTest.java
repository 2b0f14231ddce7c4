package dev.herald.runtime.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class V1CodecTest {
    private final V1Codec codec = V1Codec.INSTANCE;

    @Test
    void decodesObjectsWithOptionalJoinRef() throws Exception {
        InboundMessage m = codec.decode("{\"topic\":\"realtime:a\",\"event\":\"phx_join\",\"payload\":{},\"ref\":\"1\",\"join_ref\":\"1\"}");
        assertEquals("1", m.joinRef());
        assertEquals("realtime:a", m.topic());
        InboundMessage hb = codec.decode("{\"topic\":\"phoenix\",\"event\":\"heartbeat\",\"payload\":{},\"ref\":\"5\"}");
        assertNull(hb.joinRef());
        assertEquals("5", hb.ref());
    }

    @Test
    void refusesMissingKeysArraysAndBinary() {
        assertThrows(MalformedMessageException.class, () -> codec.decode("{\"topic\":\"a\",\"event\":\"b\",\"payload\":{}}"));
        assertThrows(MalformedMessageException.class, () -> codec.decode("[null,null,\"a\",\"b\",{}]"));
        assertThrows(MalformedMessageException.class, () -> codec.decode("{"));
        assertThrows(MalformedMessageException.class, () -> codec.decode(ByteBuffer.wrap(new byte[] {3})));
    }

    @Test
    void encodesOnlyTopicEventPayloadRefNeverJoinRef() throws Exception {
        Frame reply = codec.encode("3", "4", "realtime:a", "phx_reply", Json.read("{\"status\":\"ok\",\"response\":{}}"));
        assertEquals("{\"topic\":\"realtime:a\",\"event\":\"phx_reply\",\"payload\":{\"status\":\"ok\",\"response\":{}},\"ref\":\"4\"}", reply.text());
        Frame push = codec.encode(null, null, "realtime:a", "broadcast", Json.read("{\"a\":1}"));
        assertEquals("{\"topic\":\"realtime:a\",\"event\":\"broadcast\",\"payload\":{\"a\":1},\"ref\":null}", push.text());
    }

    @Test
    void userBroadcastsBecomeJsonAndBinaryOnesAreNotDeliverable() {
        Frame f = codec.encodeUserBroadcast("realtime:r", new UserBroadcast("ev", true,
                "{\"x\":[1,2]}".getBytes(StandardCharsets.UTF_8), "{\"id\":\"u\"}".getBytes(StandardCharsets.UTF_8)));
        assertEquals("{\"topic\":\"realtime:r\",\"event\":\"broadcast\",\"payload\":{\"type\":\"broadcast\",\"event\":\"ev\","
                + "\"payload\":{\"x\":[1,2]},\"meta\":{\"id\":\"u\"}},\"ref\":null}", f.text());
        assertNull(codec.encodeUserBroadcast("realtime:r", new UserBroadcast("ev", false, new byte[] {1}, UserBroadcast.NO_METADATA)));
    }

    @Test
    void versionParameterFollowsPhoenixMatching() {
        assertEquals(ProtocolVersion.V1, ProtocolVersion.fromParameter(null));
        assertEquals(ProtocolVersion.V1, ProtocolVersion.fromParameter("1.0.0"));
        assertEquals(ProtocolVersion.V2, ProtocolVersion.fromParameter("2.0.0"));
        assertEquals(ProtocolVersion.V2, ProtocolVersion.fromParameter("2.0.3"));
        assertNull(ProtocolVersion.fromParameter("3.0.0"));
        assertNull(ProtocolVersion.fromParameter("2.1.0"));
        assertNull(ProtocolVersion.fromParameter("abc"));
    }
}
