package dev.herald.runtime.web;

import jakarta.websocket.Session;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes pre-framed WebSocket frames on Tyrus (the implementation in the standalone server, GlassFish and Payara),
 * so a message fanned out to many connections is framed once instead of once per connection. The Jakarta API has no
 * such call; Tyrus exposes one on its socket object, reached by reflection once per class. On any other container,
 * or if Tyrus changes, {@link #of} returns null and the standard API is used.
 */
final class RawFrameWriter {
    private static final Logger LOG = LoggerFactory.getLogger(RawFrameWriter.class);
    private static volatile Access access;
    private static volatile boolean unavailable;

    private record Access(Class<?> remoteClass, MethodHandle socketGetter, MethodHandle sendRawFrame) {
    }

    private final Object socket;
    private final MethodHandle sendRawFrame;

    private RawFrameWriter(Object socket, MethodHandle sendRawFrame) {
        this.socket = socket;
        this.sendRawFrame = sendRawFrame;
    }

    /** A writer for this session, or null when raw frames cannot be written on its container. */
    static RawFrameWriter of(Session session) {
        if (unavailable) return null;
        try {
            Object remote = session.getAsyncRemote();
            Access a = access;
            if (a == null || a.remoteClass() != remote.getClass()) {
                a = resolve(remote.getClass());
                if (a == null) {
                    unavailable = true;
                    return null;
                }
                access = a;
            }
            Object socket = a.socketGetter().invoke(remote);
            return socket == null ? null : new RawFrameWriter(socket, a.sendRawFrame());
        } catch (Throwable e) {
            unavailable = true;
            LOG.info("raw WebSocket frames unavailable ({}); using the standard send path", e.toString());
            return null;
        }
    }

    private static Access resolve(Class<?> remoteClass) throws ReflectiveOperationException {
        for (Class<?> c = remoteClass; c != null; c = c.getSuperclass()) {
            Field f;
            try {
                f = c.getDeclaredField("webSocket");
            } catch (NoSuchFieldException e) {
                continue;
            }
            f.setAccessible(true);
            Method send = f.getType().getMethod("sendRawFrame", ByteBuffer.class);
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            return new Access(remoteClass, lookup.unreflectGetter(f), lookup.unreflect(send));
        }
        return null;
    }

    /** Starts writing {@code frame}; {@code done} runs once the container reports the write finished. */
    void write(ByteBuffer frame, Consumer<Throwable> done) {
        Future<?> f;
        try {
            f = (Future<?>) sendRawFrame.invoke(socket, frame);
        } catch (Throwable e) {
            done.accept(e);
            return;
        }
        if (f instanceof CompletionStage<?> stage) {
            stage.whenComplete((r, e) -> done.accept(e));
        } else {
            // Not expected on Tyrus (its futures complete as stages); wait so ordering and backpressure hold.
            try {
                f.get();
                done.accept(null);
            } catch (Exception e) {
                done.accept(e);
            }
        }
    }
}
