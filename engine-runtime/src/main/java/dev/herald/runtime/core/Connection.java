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
     * How many complete, already framed WebSocket frames ({@link dev.herald.runtime.protocol.Frame#wire()}) one
     * {@link #sendFrames} call may carry; 0 (the default) when this transport cannot write raw frames, and the engine
     * uses {@link #sendText}/{@link #sendBinary} instead. Constant for the life of the connection.
     */
    default int framesPerWrite() {
        return 0;
    }

    /**
     * Writes {@code frames[0, count)} ({@code 1 <= count <= framesPerWrite()}), each a complete frame read from its
     * position, in this order and as one write, so a fanned-out message is framed once for all recipients and a
     * backlog goes out in one system call. {@code done} is called exactly once, when all were written (null) or the
     * write failed. Neither the array nor the buffers are kept after {@code done}: the caller reuses the array.
     */
    default void sendFrames(ByteBuffer[] frames, int count, Consumer<Throwable> done) {
        throw new UnsupportedOperationException("this connection does not write raw frames");
    }

    /** Starts a close handshake with this code and reason; idempotent. */
    void close(int code, String reason);

    /** A short identifier for logs. */
    String id();
}
