package dev.herald.plugins.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class RelayPartsTest {

    @Test
    void peekReadsTypeTranscriptAndSessionIdInAnyOrder() {
        EventPeek created = EventPeek.of("{\"event_id\":\"e1\",\"session\":{\"audio\":{\"x\":[1,{}]},\"id\":\"sess_1\"},\"type\":\"session.created\"}");
        assertEquals("session.created", created.type());
        assertEquals("sess_1", created.sessionId());
        EventPeek done = EventPeek.of("{\"transcript\":\"Hi \\\"there\\\"\",\"item_id\":\"item_9\",\"type\":\"response.output_audio_transcript.done\"}");
        assertEquals("response.output_audio_transcript.done", done.type());
        assertEquals("item_9", done.itemId());
        assertEquals("Hi \"there\"", done.transcript());
    }

    @Test
    void peekMeasuresBase64AudioWithoutDecodingIt() {
        for (int n : new int[] {0, 1, 2, 3, 4, 4800, 4801, 4802}) {
            String b64 = Base64.getEncoder().encodeToString(new byte[n]);
            assertEquals(n, EventPeek.of("{\"type\":\"input_audio_buffer.append\",\"audio\":\"" + b64 + "\"}").audioBytes(), "padded, " + n);
            String raw = Base64.getEncoder().withoutPadding().encodeToString(new byte[n]);
            assertEquals(n, EventPeek.of("{\"type\":\"response.audio.delta\",\"delta\":\"" + raw + "\"}").audioBytes(), "unpadded, " + n);
        }
    }

    @Test
    void peekIgnoresWhatIsNotAJsonObject() {
        assertSame(EventPeek.NONE, EventPeek.of("not json"));
        assertSame(EventPeek.NONE, EventPeek.of("[1,2]"));
        assertSame(EventPeek.NONE, EventPeek.of("{\"type\":\"x\""));
        assertNull(EventPeek.of("{\"type\":5}").type());
    }

    @Test
    void limiterCountsPerUser() {
        SessionLimiter l = new SessionLimiter(2);
        assertTrue(l.tryAcquire("a"));
        assertTrue(l.tryAcquire("a"));
        assertFalse(l.tryAcquire("a"), "third session of the same user");
        assertTrue(l.tryAcquire("b"), "another user is not affected");
        l.release("a");
        assertEquals(1, l.open("a"));
        assertTrue(l.tryAcquire("a"));
        l.release("a");
        l.release("a");
        assertEquals(0, l.open("a"));
    }

    @Test
    void closeCodesAreOnesEachSideMaySend() {
        assertEquals(1000, RelayEndpoint.clientCode(1000));
        assertEquals(4001, RelayEndpoint.clientCode(4001));
        assertEquals(1000, RelayEndpoint.clientCode(1005), "no status received means a normal end");
        assertEquals(1011, RelayEndpoint.clientCode(1006), "a dropped connection is an error");
        assertEquals(4001, RelayEndpoint.upstreamCode(4001));
        assertEquals(1000, RelayEndpoint.upstreamCode(1001));
        assertEquals(1008, RelayEndpoint.upstreamCode(1008));
    }

    @Test
    void closeReasonsFitTheFrame() {
        String longReason = "é".repeat(200);
        String t = RelayEndpoint.trim(longReason);
        assertTrue(t.getBytes(StandardCharsets.UTF_8).length <= 123);
        assertEquals("short", RelayEndpoint.trim("short"));
    }
}
