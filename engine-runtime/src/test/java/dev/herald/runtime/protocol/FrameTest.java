package dev.herald.runtime.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The pre-built WebSocket frames (RFC 6455 §5.2, server side: FIN set, no mask). */
class FrameTest {

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void shortTextFrameHasATwoByteHeader() {
        byte[] w = bytes(Frame.text("héllo").wire());
        byte[] payload = "héllo".getBytes(StandardCharsets.UTF_8);
        assertEquals((byte) 0x81, w[0]);
        assertEquals(payload.length, w[1]);
        assertArrayEquals(payload, Arrays.copyOfRange(w, 2, w.length));
    }

    @Test
    void mediumAndLargeLengthsUseTheExtendedFields() {
        byte[] medium = bytes(Frame.binary(new byte[300]).wire());
        assertEquals((byte) 0x82, medium[0]);
        assertEquals(126, medium[1]);
        assertEquals(300, ((medium[2] & 0xFF) << 8) | (medium[3] & 0xFF));
        assertEquals(304, medium.length);
        byte[] large = bytes(Frame.binary(new byte[70_000]).wire());
        assertEquals(127, large[1]);
        long n = 0;
        for (int i = 0; i < 8; i++) n = (n << 8) | (large[2 + i] & 0xFF);
        assertEquals(70_000, n);
        assertEquals(70_010, large.length);
        byte[] edge = bytes(Frame.text("x".repeat(125)).wire());
        assertEquals(125, edge[1]);
        assertEquals(126, bytes(Frame.text("x".repeat(126)).wire())[1]);
    }

    @Test
    void theFrameIsBuiltOnceAndSharedReadOnly() {
        Frame f = Frame.text("[null,null,\"realtime:a\",\"broadcast\",{}]");
        ByteBuffer a = f.wire();
        ByteBuffer b = f.wire();
        assertEquals(true, a.isReadOnly());
        a.get();
        assertEquals(0, b.position(), "each recipient gets its own position");
        assertSame(f, f);
    }
}
