package dev.herald.runtime.web;

import dev.herald.runtime.core.Connection;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** Adapts a Jakarta WebSocket session to the engine's {@link Connection}. */
final class JakartaConnection implements Connection {
    private final Session session;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final RawFrameWriter raw;

    JakartaConnection(Session session) {
        this.session = session;
        this.raw = RawFrameWriter.of(session);
    }

    @Override
    public boolean sendFramed(ByteBuffer frame, Consumer<Throwable> done) {
        if (raw == null) return false;
        raw.write(frame, done);
        return true;
    }

    @Override
    public void sendText(String text, Consumer<Throwable> done) {
        session.getAsyncRemote().sendText(text, r -> done.accept(r.isOK() ? null : r.getException()));
    }

    @Override
    public void sendBinary(ByteBuffer data, Consumer<Throwable> done) {
        session.getAsyncRemote().sendBinary(data, r -> done.accept(r.isOK() ? null : r.getException()));
    }

    @Override
    public void close(int code, String reason) {
        if (!closing.compareAndSet(false, true)) return;
        try {
            session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), reason));
        } catch (IOException | IllegalStateException ignored) {
            // already closed by the peer
        }
    }

    /**
     * Writes a close frame straight to the socket, ahead of one the container is about to write itself (the first
     * close frame is the one the client sees). False when raw frames cannot be written on this container.
     */
    boolean writeCloseFrame(int code, String reason) {
        if (raw == null) return false;
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, 123);
        byte[] frame = new byte[4 + n];
        frame[0] = (byte) 0x88; // FIN + close
        frame[1] = (byte) (2 + n);
        frame[2] = (byte) (code >>> 8);
        frame[3] = (byte) code;
        System.arraycopy(text, 0, frame, 4, n);
        raw.write(ByteBuffer.wrap(frame), e -> { });
        return true;
    }

    @Override
    public String id() {
        return "ws-" + session.getId();
    }
}
