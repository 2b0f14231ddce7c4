package dev.herald.runtime.web;

import jakarta.websocket.Session;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.Processor;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.Writer;
import org.glassfish.grizzly.filterchain.FilterChain;
import org.glassfish.grizzly.memory.BuffersBuffer;
import org.glassfish.grizzly.memory.ByteBufferWrapper;
import org.glassfish.grizzly.memory.MemoryManager;
import org.glassfish.grizzly.nio.NIOTransport;
import org.glassfish.grizzly.ssl.SSLBaseFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes pre-framed WebSocket frames straight into the Grizzly connection under a Tyrus session (the standalone
 * server), through the transport's own asynchronous write queue. Tyrus's raw-frame call ({@link RawFrameWriter})
 * builds a future, a completion wrapper, a task and a filter-chain pass for every frame; on a fan-out to thousands
 * of connections that was most of the CPU. This goes to the same per-connection write queue Grizzly and Tyrus use for
 * everything else on the socket, so frames stay whole and in order with Tyrus's own control frames, and several
 * queued frames go out as one gathered write.
 *
 * <p>Used only on a plain TCP connection whose filter chain has no TLS filter: anything that transforms outgoing
 * bytes lives in the chain this skips. {@link #of} returns null (and the caller falls back) when Grizzly's classes
 * are not visible, the objects are not the expected ones, or the chain encrypts.
 *
 * <p>Threading: {@link #write} may be called from any thread; Grizzly writes inline when the socket takes the bytes
 * at once and otherwise later from its selector thread. The caller keeps one write in flight (the engine's outbound
 * queue does); {@code done} runs exactly once per write.
 */
final class GrizzlyFrameWriter implements CompletionHandler<WriteResult<?, ?>> {
    private static final Logger LOG = LoggerFactory.getLogger(GrizzlyFrameWriter.class);
    /** The most frames one gathered write carries; the byte bound is the caller's. */
    static final int MAX_FRAMES_PER_WRITE = 64;
    private static volatile Path path;
    private static volatile boolean unavailable;

    /** How to get from a Jakarta session's async remote to its Grizzly connection, resolved once per class set. */
    private record Path(Class<?> remoteClass, MethodHandle webSocket, MethodHandle protocolHandler,
                        MethodHandle writer, Class<?> writerClass, MethodHandle connection) {
    }

    private final Connection<?> connection;
    @SuppressWarnings("rawtypes")
    private final Writer asyncWriter;
    private final MemoryManager<?> memory;
    /** The write in flight's completion; only one write is in flight at a time. */
    private volatile Consumer<Throwable> done;

    private GrizzlyFrameWriter(Connection<?> connection, Writer<?> asyncWriter, MemoryManager<?> memory) {
        this.connection = connection;
        this.asyncWriter = asyncWriter;
        this.memory = memory;
    }

    /** A writer for this session's socket, or null when frames cannot be written to it this way. */
    static GrizzlyFrameWriter of(Session session) {
        if (unavailable) return null;
        try {
            Object remote = session.getAsyncRemote();
            Path p = path;
            if (p == null || p.remoteClass() != remote.getClass()) {
                p = resolve(remote.getClass());
                if (p == null) return giveUp("the session is not a Tyrus session");
                path = p;
            }
            Object webSocket = p.webSocket().invoke(remote);
            Object handler = webSocket == null ? null : p.protocolHandler().invoke(webSocket);
            Object writer = handler == null ? null : p.writer().invoke(handler);
            if (writer == null || writer.getClass() != p.writerClass()) return null;
            Connection<?> c = (Connection<?>) p.connection().invoke(writer);
            if (c == null || !(c.getTransport() instanceof NIOTransport transport)) return null;
            if (encrypts(c.getProcessor())) return null;
            return new GrizzlyFrameWriter(c, transport.getAsyncQueueIO().getWriter(), transport.getMemoryManager());
        } catch (Throwable e) {
            return giveUp(e.toString());
        }
    }

    private static GrizzlyFrameWriter giveUp(String why) {
        unavailable = true;
        LOG.info("direct Grizzly frame writes unavailable ({}); using Tyrus's raw frames", why);
        return null;
    }

    private static boolean encrypts(Processor<?> processor) {
        if (!(processor instanceof FilterChain chain)) return true; // cannot tell: do not skip it
        for (int i = 0; i < chain.size(); i++) {
            if (chain.get(i) instanceof SSLBaseFilter) return true;
        }
        return false;
    }

    private static Path resolve(Class<?> remoteClass) throws ReflectiveOperationException {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        Field ws = field(remoteClass, "webSocket");
        if (ws == null) return null;
        Field ph = field(ws.getType(), "protocolHandler");
        if (ph == null) return null;
        Field w = field(ph.getType(), "writer");
        if (w == null) return null;
        Class<?> writerClass = Class.forName("org.glassfish.tyrus.container.grizzly.client.GrizzlyWriter", false,
                remoteClass.getClassLoader());
        Field c = field(writerClass, "connection");
        if (c == null || !Connection.class.isAssignableFrom(c.getType())) return null;
        return new Path(remoteClass, lookup.unreflectGetter(ws), lookup.unreflectGetter(ph), lookup.unreflectGetter(w),
                writerClass, lookup.unreflectGetter(c));
    }

    private static Field field(Class<?> type, String name) {
        for (Class<?> k = type; k != null; k = k.getSuperclass()) {
            try {
                Field f = k.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException e) {
                // look in the superclass
            }
        }
        return null;
    }

    /**
     * Writes {@code frames[0, count)} in order as one write; {@code done} runs once when all are written or the write
     * failed. The buffers are read from their position and not kept after {@code done}; the array is not kept.
     */
    @SuppressWarnings("unchecked")
    void write(ByteBuffer[] frames, int count, Consumer<Throwable> done) {
        Buffer message;
        if (count == 1) {
            message = new ByteBufferWrapper(frames[0]);
        } else {
            Buffer[] parts = new Buffer[count];
            for (int i = 0; i < count; i++) parts[i] = new ByteBufferWrapper(frames[i]);
            message = BuffersBuffer.create(memory, parts, true);
        }
        this.done = done;
        try {
            asyncWriter.write(connection, message, this);
        } catch (RuntimeException e) {
            finish(e);
        }
    }

    /** A single frame written outside the engine's queue (a close frame), with its own completion. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    void writeAside(ByteBuffer frame) {
        asyncWriter.write(connection, new ByteBufferWrapper(frame), (CompletionHandler) null);
    }

    private void finish(Throwable error) {
        Consumer<Throwable> d = done;
        done = null;
        if (d != null) d.accept(error);
    }

    @Override
    public void completed(WriteResult<?, ?> result) {
        finish(null);
    }

    @Override
    public void failed(Throwable error) {
        finish(error);
    }

    @Override
    public void cancelled() {
        finish(new IllegalStateException("write cancelled: the connection closed"));
    }

    @Override
    public void updated(WriteResult<?, ?> result) {
        // partial progress: the rest follows from Grizzly's selector thread
    }
}
