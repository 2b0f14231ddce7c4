package dev.herald.runtime.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * An encoded outgoing WebSocket frame: text or binary. Immutable; one instance is shared by every connection it is
 * sent to (binary content is handed out as read-only duplicates).
 */
public final class Frame {
    private static final AtomicIntegerFieldUpdater<Frame> HOLDERS =
            AtomicIntegerFieldUpdater.newUpdater(Frame.class, "holders");

    private final String text;
    private final byte[] binary;
    private final int size;
    /** The complete server-to-client WebSocket frame (header + payload), built on first use and then shared. */
    private volatile byte[] wire;
    /** How many outbound queues hold this frame now; the global outbound budget counts a frame once while it is > 0. */
    private volatile int holders;
    /** When it was encoded: a fanned-out frame's delivery latency counts from here, the fan-out loop included. */
    private final long encodedAtNanos = System.nanoTime();

    private Frame(String text, byte[] binary) {
        this.text = text;
        this.binary = binary;
        // UTF-8 length is what goes on the wire; computing it once keeps queue accounting cheap.
        this.size = text != null ? utf8Length(text) : binary.length;
    }

    public static Frame text(String text) {
        return new Frame(text, null);
    }

    public static Frame binary(byte[] bytes) {
        return new Frame(null, bytes);
    }

    public boolean isText() {
        return text != null;
    }

    public String text() {
        return text;
    }

    public ByteBuffer binary() {
        return ByteBuffer.wrap(binary).asReadOnlyBuffer();
    }

    /** Bytes copied out, for tests and diagnostics. */
    public byte[] bytes() {
        return text != null ? text.getBytes(StandardCharsets.UTF_8) : binary.clone();
    }

    /**
     * The whole WebSocket frame as a server sends it (FIN, text or binary opcode, no mask, no extensions), built once
     * and shared read-only by every connection the message fans out to.
     */
    public ByteBuffer wire() {
        byte[] w = wire;
        if (w == null) {
            byte[] payload = text != null ? text.getBytes(StandardCharsets.UTF_8) : binary;
            int n = payload.length;
            int header = n <= 125 ? 2 : n <= 0xFFFF ? 4 : 10;
            w = new byte[header + n];
            w[0] = (byte) (0x80 | (text != null ? 0x1 : 0x2));
            if (n <= 125) {
                w[1] = (byte) n;
            } else if (n <= 0xFFFF) {
                w[1] = 126;
                w[2] = (byte) (n >>> 8);
                w[3] = (byte) n;
            } else {
                w[1] = 127;
                for (int i = 0; i < 8; i++) w[2 + i] = (byte) ((long) n >>> (56 - 8 * i));
            }
            System.arraycopy(payload, 0, w, header, n);
            wire = w;
        }
        return ByteBuffer.wrap(w).asReadOnlyBuffer();
    }

    /** {@link System#nanoTime()} when this frame was encoded. */
    public long encodedAtNanos() {
        return encodedAtNanos;
    }

    /** A queue takes this frame; true when it is the first current holder (the frame's bytes start to count). */
    public boolean retain() {
        return HOLDERS.getAndIncrement(this) == 0;
    }

    /** A queue lets go of this frame; true when it was the last holder (the frame's bytes stop counting). */
    public boolean release() {
        return HOLDERS.decrementAndGet(this) == 0;
    }

    /**
     * An estimate of the heap this frame holds while queued: its encoded text or bytes plus the framed copy a
     * raw-frame transport builds from them ({@link #wire()}), about twice its size.
     */
    public long heapBytes() {
        return 2L * size;
    }

    /** Size on the wire in bytes (payload of the WebSocket frame). */
    public int size() {
        return size;
    }

    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n++;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else n += 3;
        }
        return n;
    }

    @Override
    public String toString() {
        return text != null ? text : "binary[" + binary.length + "]";
    }
}
