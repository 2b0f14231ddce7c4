package dev.herald.runtime.core;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * The transport under one session: the host (Tyrus standalone, an application server) adapts its WebSocket session
 * to this. Sends are asynchronous and the engine keeps at most one in flight per connection; {@code done} is called
 * exactly once, with {@code null} on success. Implementations must be safe to call from any thread.
 */
public interface Connection {

    void sendText(String text, Consumer<Throwable> done);

    void sendBinary(ByteBuffer data, Consumer<Throwable> done);

    /**
     * Sends a complete, already framed WebSocket frame ({@link dev.herald.runtime.protocol.Frame#wire()}) when the
     * transport can write raw frames, so a fanned-out message is framed once for all recipients. Returns false
     * (without calling {@code done}) when it cannot; the caller then uses {@link #sendText}/{@link #sendBinary}.
     */
    default boolean sendFramed(ByteBuffer frame, Consumer<Throwable> done) {
        return false;
    }

    /** Starts a close handshake with this code and reason; idempotent. */
    void close(int code, String reason);

    /** A short identifier for logs. */
    String id();
}
