package dev.herald.runtime.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class V2CodecTest {
    private final V2Codec codec = V2Codec.INSTANCE;

    /** The worked example of docs/wire-protocol.md, Frames: send({event:'cursor', payload:{x:1}}) on realtime:room1, join_ref 1, ref 2. */
    static byte[] workedKind3() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(HexFormat.of().parseHex("0301010e060001"));
        for (String s : new String[] {"1", "2", "realtime:room1", "cursor", "{\"x\":1}"}) b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        return b.toByteArray();
    }

    @Test
    void decodesTheWorkedKind3Example() throws Exception {
        byte[] frame = workedKind3();
        assertEquals(36, frame.length);
        InboundMessage m = codec.decode(ByteBuffer.wrap(frame));
        assertEquals("1", m.joinRef());
        assertEquals("2", m.ref());
        assertEquals("realtime:room1", m.topic());
        assertEquals("broadcast", m.event());
        assertNull(m.payload());
        assertEquals("cursor", m.userBroadcast().event());
        assertTrue(m.userBroadcast().json());
        assertEquals("{\"x\":1}", new String(m.userBroadcast().payload(), StandardCharsets.UTF_8));
        assertEquals(0, m.userBroadcast().metadata().length);
    }

    @Test
    void encodesTheWorkedKind4Example() {
        Frame f = codec.encodeUserBroadcast("realtime:room1", UserBroadcast.ofJson("cursor", "{\"x\":1}"));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(HexFormat.of().parseHex("040e060001"));
        expected.writeBytes("realtime:room1cursor{\"x\":1}".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(expected.toByteArray(), f.bytes());
        assertEquals(32, f.size());
    }

    @Test
    void kind4CarriesMetadataAndBinaryEncoding() {
        byte[] payload = {0, 1, 2, (byte) 0xff};
        byte[] meta = "{\"id\":\"a\"}".getBytes(StandardCharsets.UTF_8);
        Frame f = codec.encodeUserBroadcast("realtime:t", new UserBroadcast("e", false, payload, meta));
        byte[] b = f.bytes();
        assertEquals(4, b[0]);
        assertEquals(10, b[1]);
        assertEquals(1, b[2]);
        assertEquals(meta.length, b[3]);
        assertEquals(0, b[4]);
        assertEquals("realtime:te{\"id\":\"a\"}", new String(b, 5, 10 + 1 + meta.length, StandardCharsets.UTF_8));
        assertArrayEquals(payload, Arrays.copyOfRange(b, b.length - 4, b.length));
    }

    @Test
    void decodesBinaryPayloadWithMetadataAndEmptyRefs() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(3);
        b.write(0);
        b.write(0);
        b.write(3);
        b.write(2);
        b.write(16);
        b.write(0);
        b.writeBytes("t:1ev{\"persist\":true}".getBytes(StandardCharsets.UTF_8));
        b.writeBytes(new byte[] {9, 8, 7});
        InboundMessage m = codec.decode(ByteBuffer.wrap(b.toByteArray()));
        assertNull(m.joinRef());
        assertNull(m.ref());
        assertEquals("t:1", m.topic());
        assertEquals("ev", m.userBroadcast().event());
        assertEquals(false, m.userBroadcast().json());
        assertArrayEquals(new byte[] {9, 8, 7}, m.userBroadcast().payload());
        assertEquals("{\"persist\":true}", new String(m.userBroadcast().metadata(), StandardCharsets.UTF_8));
    }

    @Test
    void refusesOtherBinaryKindsAndTruncatedFrames() {
        for (int kind : new int[] {0, 1, 2, 4, 9}) {
            V2Codec.UnsupportedKindException e = assertThrows(V2Codec.UnsupportedKindException.class,
                    () -> codec.decode(ByteBuffer.wrap(new byte[] {(byte) kind, 1, 1, 1, 1})));
            assertEquals(kind, e.kind());
        }
        assertThrows(MalformedMessageException.class, () -> codec.decode(ByteBuffer.wrap(new byte[0])));
        assertThrows(MalformedMessageException.class, () -> codec.decode(ByteBuffer.wrap(new byte[] {3, 1, 1})));
        byte[] truncated = Arrays.copyOf(workedKind3(), 12);
        assertThrows(MalformedMessageException.class, () -> codec.decode(ByteBuffer.wrap(truncated)));
        byte[] badEncoding = workedKind3();
        badEncoding[6] = 7;
        assertThrows(MalformedMessageException.class, () -> codec.decode(ByteBuffer.wrap(badEncoding)));
    }

    @Test
    void textFramesAreArrays() throws Exception {
        InboundMessage m = codec.decode("[\"3\",\"3\",\"realtime:room1\",\"phx_join\",{\"config\":{}},\"extra\"]");
        assertEquals("3", m.joinRef());
        assertEquals("phx_join", m.event());
        assertTrue(m.payload().isObject());
        InboundMessage hb = codec.decode("[null,\"7\",\"phoenix\",\"heartbeat\",{}]");
        assertNull(hb.joinRef());
        assertEquals("7", hb.ref());
        assertEquals("[null,\"7\",\"phoenix\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]",
                codec.encode(null, "7", "phoenix", "phx_reply", Json.read("{\"status\":\"ok\",\"response\":{}}")).text());
    }

    @Test
    void malformedTextIsRefused() {
        for (String bad : new String[] {"not json", "[1,2,3]", "{\"topic\":\"a\",\"event\":\"b\",\"payload\":{},\"ref\":null}",
                "[null,null,1,\"e\",{}]", "", "\"string\""}) {
            assertThrows(MalformedMessageException.class, () -> codec.decode(bad), bad);
        }
    }

    @Test
    void overlongTopicFallsBackToTextForJsonAndIsUndeliverableForBinary() {
        String topic = "realtime:" + "x".repeat(256);
        Frame json = codec.encodeUserBroadcast(topic, UserBroadcast.ofJson("e", "{\"a\":1}"));
        assertTrue(json.isText());
        assertEquals("[null,null,\"" + topic + "\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"e\",\"payload\":{\"a\":1}}]", json.text());
        assertNull(codec.encodeUserBroadcast(topic, new UserBroadcast("e", false, new byte[] {1}, UserBroadcast.NO_METADATA)));
    }
}
