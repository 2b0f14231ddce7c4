package dev.herald.runtime.web;

import dev.herald.runtime.core.Connection;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Adapts a Jakarta WebSocket session to the engine's {@link Connection}. Pre-framed frames go, best first, straight
 * into the Grizzly socket under Tyrus ({@link GrizzlyFrameWriter}, gathered), through Tyrus's raw-frame call
 * ({@link RawFrameWriter}, one frame per write), or not at all (the standard text/binary sends).
 */
final class JakartaConnection implements Connection {
    private final Session session;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final GrizzlyFrameWriter direct;
    private final RawFrameWriter raw;

    JakartaConnection(Session session) {
        this.session = session;
        this.direct = direct(session);
        this.raw = direct == null ? RawFrameWriter.of(session) : null;
    }

    private static GrizzlyFrameWriter direct(Session session) {
        try {
            return GrizzlyFrameWriter.of(session);
        } catch (LinkageError noGrizzly) {
            // Grizzly's classes are not visible here (another container): Tyrus's call or the standard API it is.
            return null;
        }
    }

    @Override
    public int framesPerWrite() {
        return direct != null ? GrizzlyFrameWriter.MAX_FRAMES_PER_WRITE : raw != null ? 1 : 0;
    }

    @Override
    public void sendFrames(ByteBuffer[] frames, int count, Consumer<Throwable> done) {
        if (direct != null) direct.write(frames, count, done);
        else if (raw != null && count == 1) raw.write(frames[0], done);
        else throw new UnsupportedOperationException("raw frames: " + count + " for at most " + framesPerWrite());
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
        if (direct == null && raw == null) return false;
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, 123);
        byte[] frame = new byte[4 + n];
        frame[0] = (byte) 0x88; // FIN + close
        frame[1] = (byte) (2 + n);
        frame[2] = (byte) (code >>> 8);
        frame[3] = (byte) code;
        System.arraycopy(text, 0, frame, 4, n);
        if (direct != null) direct.writeAside(ByteBuffer.wrap(frame));
        else raw.write(ByteBuffer.wrap(frame), e -> { });
        return true;
    }

    @Override
    public String id() {
        return "ws-" + session.getId();
    }
}
