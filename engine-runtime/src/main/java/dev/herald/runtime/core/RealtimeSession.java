package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.metrics.ChannelStats;
import dev.herald.runtime.protocol.Codec;
import dev.herald.runtime.protocol.Frame;
import dev.herald.runtime.protocol.InboundMessage;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.MalformedMessageException;
import dev.herald.runtime.protocol.Outbound;
import dev.herald.runtime.protocol.ProtocolVersion;
import dev.herald.runtime.protocol.V2Codec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection speaking the Phoenix channel protocol: decodes its frames, routes each message to the
 * handler of its feature ({@link JoinHandler}, {@link BroadcastHandler}, {@link PresenceHandler},
 * {@link TokenLifecycle}), keeps its joined channels and owns its outbound queue.
 *
 * <p>Threading: inbound frames arrive on the host's socket thread; handling is serialised by the session lock
 * ({@code synchronized (this)}), which the handlers and their asynchronous completions also take. Fan-out from other
 * sessions only enters through {@link #deliver}, which touches the outbound queue alone, so no thread ever holds two
 * session locks. Ordering: frames are queued in the order they are produced under that lock; fanned-out messages of
 * one topic in publish order. Delivery: queued without blocking; a reader that falls behind its queue bounds is
 * closed with 1008 rather than slowing anyone else.
 */
public final class RealtimeSession {
    private static final Logger LOG = LoggerFactory.getLogger(RealtimeSession.class);
    static final String PHOENIX = "phoenix";
    /** Start of the expiry notice text (a Herald addition; status ok, so clients treat it as information). */
    public static final String TOKEN_EXPIRES_SOON = SystemMessages.TOKEN_EXPIRES_SOON;

    private final SessionContext context;
    private final Sessions registry;
    private final Connection connection;
    private final Codec codec;
    private final Claims connectClaims;
    private final OutboundQueue outbound;
    private final Map<String, Channel> channels = new HashMap<>();
    private volatile long lastReceivedNanos = System.nanoTime();
    private volatile boolean closed;
    /** Set once the server decided to drop this connection; later writes and drops are not counted again. */
    private final AtomicBoolean disconnecting = new AtomicBoolean();
    /** Whether this connection counts as a user (it has at least one joined channel); guarded by the session lock. */
    private boolean countedAsUser;
    private final long openedAtMs = System.currentTimeMillis();

    RealtimeSession(SessionContext context, Sessions registry, Connection connection, ProtocolVersion version, Claims connectClaims) {
        this.context = context;
        this.registry = registry;
        this.connection = connection;
        this.codec = Codec.of(version);
        this.connectClaims = connectClaims;
        this.outbound = new OutboundQueue(connection, context.limits.settings().outboundQueueMessages(),
                context.config.outboundQueueBytes(), context.outboundBudget, new OutboundQueue.Listener() {
                    @Override
                    public void sent(Frame frame, Object tag, long writtenAtNanos) {
                        context.metrics.messageOut(frame.size());
                        if (tag instanceof ChannelStats stats) {
                            long nanos = writtenAtNanos - frame.encodedAtNanos();
                            stats.delivered(nanos);
                            context.metrics.delivered(nanos);
                        }
                    }

                    @Override
                    public void failed(Throwable error) {
                        LOG.debug("write to {} failed: {}", connection.id(), error.toString());
                        connection.close(1011, "write failed");
                    }
                });
    }

    SessionContext context() {
        return context;
    }

    Codec codec() {
        return codec;
    }

    public ProtocolVersion version() {
        return codec.version();
    }

    public String id() {
        return connection.id();
    }

    public int queueDepth() {
        return outbound.depth();
    }

    // ---- inbound ------------------------------------------------------------------------------------------------

    public void onText(String text) {
        if (!received(text.length() > context.config.wsMaxFrameBytes() / 3 ? Frame.text(text).size() : text.length())) return;
        InboundMessage m;
        try {
            m = codec.decode(text);
        } catch (MalformedMessageException e) {
            dropMalformed(e);
            return;
        }
        handle(m);
    }

    public void onBinary(ByteBuffer data) {
        if (!received(data.remaining())) return;
        InboundMessage m;
        try {
            m = codec.decode(data);
        } catch (V2Codec.UnsupportedKindException e) {
            context.metrics.drop(ErrorCode.UNSUPPORTED_BINARY_KIND);
            LOG.info("{}: {}", id(), ErrorCode.UNSUPPORTED_BINARY_KIND.reason(e.kind()));
            return;
        } catch (MalformedMessageException e) {
            dropMalformed(e);
            return;
        }
        handle(m);
    }

    private boolean received(int bytes) {
        lastReceivedNanos = System.nanoTime();
        context.metrics.messageIn();
        context.metrics.bytesIn(bytes);
        if (bytes > context.config.wsMaxFrameBytes()) {
            disconnect(ErrorCode.FRAME_TOO_LARGE, 1009, "frame too large", context.config.wsMaxFrameBytes());
            return false;
        }
        return true;
    }

    /**
     * The container refused an incoming frame or message as too large before this session saw it (its buffers stop a
     * frame without holding all of it). Counts it once as {@code frame_too_large}; when this returns true the caller
     * closes the socket with 1009 at once, before the container closes it with a code of its own.
     */
    public boolean refusedAsTooLarge() {
        if (closed || !disconnecting.compareAndSet(false, true)) return false;
        context.metrics.drop(ErrorCode.FRAME_TOO_LARGE);
        LOG.info("{}: disconnecting, {}", id(), ErrorCode.FRAME_TOO_LARGE.message(context.config.wsMaxFrameBytes()));
        return true;
    }

    void dropMalformed(MalformedMessageException e) {
        context.metrics.drop(ErrorCode.MALFORMED_MESSAGE);
        LOG.info("{}: {}", id(), ErrorCode.MALFORMED_MESSAGE.reason(e.getMessage()));
    }

    synchronized void handle(InboundMessage m) {
        if (closed) return;
        if (PHOENIX.equals(m.topic())) {
            if ("heartbeat".equals(m.event())) reply(m, "ok", Json.object());
            else replyUnmatched(m);
            return;
        }
        if ("phx_join".equals(m.event())) {
            context.joins.join(this, m);
            return;
        }
        Channel ch = channels.get(m.topic());
        if (ch == null) {
            if ("phx_leave".equals(m.event())) reply(m, "ok", Json.object());
            else replyUnmatched(m);
            return;
        }
        // Routed by topic alone: a stale or missing join_ref still reaches the channel (reference leniency).
        switch (m.event()) {
            case "phx_leave" -> leave(ch, m);
            case "broadcast" -> context.broadcastsIn.broadcast(this, ch, m);
            case "presence" -> context.presenceIn.presence(this, ch, m);
            case "access_token" -> context.tokens.refresh(this, ch, m);
            default -> {
                context.metrics.drop(ErrorCode.UNKNOWN_EVENT);
                LOG.debug("{}: {}", id(), ErrorCode.UNKNOWN_EVENT.reason(m.event()));
            }
        }
    }

    // ---- channels -----------------------------------------------------------------------------------------------

    /** The joined channel on {@code topic}, or null (session lock). */
    Channel channel(String topic) {
        return channels.get(topic);
    }

    /** Whether {@code ch} is still this session's channel on its topic (session lock). */
    boolean holds(Channel ch) {
        return !closed && channels.get(ch.topic()) == ch;
    }

    /** Adds a joined channel; the connection counts as a user from its first channel (session lock). */
    void add(Channel ch) {
        channels.put(ch.topic(), ch);
        if (!countedAsUser) {
            countedAsUser = true;
            context.limits.userJoined();
        }
        context.metrics.channelJoined();
    }

    /** Whether this connection already counts as a user (session lock). */
    boolean countedAsUser() {
        return countedAsUser;
    }

    boolean isClosed() {
        return closed;
    }

    /** Pushes a recovery notice; thread-safe, so the change feed can send it right after its replay. */
    public void pushRecovery(Channel ch, String stream, boolean recovered, int count) {
        push(ch, "system", null, SystemMessages.recovery(ch.subTopic(), stream, recovered, count));
    }

    /** A binding of this channel failed while a change was delivered: only this channel hears of it. */
    public void postgresBindingFailed(Channel ch, Exception error) {
        context.joins.bindingFailed(this, ch, error);
    }

    private void leave(Channel ch, InboundMessage m) {
        // Torn down before the reply: a client that has seen "ok" finds the channel, its user slot and its presence
        // already released (the next upgrade or join is judged without it).
        teardown(ch);
        reply(m, "ok", Json.object());
        push(ch, "phx_close", ch.joinRef(), Json.object());
    }

    /** Ends a channel with a reason the client sees: a {@code system} error, then {@code phx_close}. */
    void shutdown(Channel ch, String message) {
        push(ch, "system", null, SystemMessages.channelError(ch.subTopic(), message));
        push(ch, "phx_close", ch.joinRef(), Json.object());
        teardown(ch);
    }

    /** Releases everything the channel holds: token timers, bindings, subscription, user slot and presence. */
    void teardown(Channel ch) {
        if (!channels.remove(ch.topic(), ch)) return;
        ch.expiry(null);
        ch.expiryNotice(null);
        if (context.changes != null) context.changes.unsubscribe(ch);
        context.broker.unsubscribe(ch);
        context.metrics.channelLeft();
        if (channels.isEmpty() && countedAsUser) {
            countedAsUser = false;
            context.limits.userLeft();
        }
        context.presenceIn.leave(this, ch);
    }

    // ---- outbound -----------------------------------------------------------------------------------------------

    /** A fanned-out message; dropped (and counted) when this protocol version cannot carry it. */
    void deliver(Outbound message) {
        Frame frame = message.frameFor(codec.version());
        if (frame == null) {
            context.metrics.drop(codec.version() == ProtocolVersion.V1 ? ErrorCode.BINARY_NOT_DELIVERABLE : ErrorCode.FRAME_NOT_ENCODABLE);
            return;
        }
        send(frame);
    }

    /** A fanned-out message for {@code ch}: as {@link #deliver(Outbound)}, also recorded in the topic's activity. */
    void deliver(Outbound message, Channel ch) {
        ChannelStats stats = ch.stats();
        Frame frame = message.frameFor(codec.version());
        if (frame == null) {
            ErrorCode code = codec.version() == ProtocolVersion.V1 ? ErrorCode.BINARY_NOT_DELIVERABLE : ErrorCode.FRAME_NOT_ENCODABLE;
            context.metrics.drop(code);
            stats.drop(code);
            return;
        }
        stats.handedOut(1);
        // The topic's stats ride along as the tag (shared, nothing allocated per recipient); latency is from encoding.
        send(frame, stats);
    }

    void send(Frame frame) {
        send(frame, null);
    }

    private void send(Frame frame, ChannelStats tag) {
        if (closed || disconnecting.get()) return;
        if (!outbound.offer(frame, tag)) {
            outbound.close();
            if (tag != null && !disconnecting.get()) tag.drop(ErrorCode.SLOW_CONSUMER);
            disconnect(ErrorCode.SLOW_CONSUMER, 1008, ErrorCode.SLOW_CONSUMER.reason());
        }
    }

    /** A payload that parses but could not be sent on (see {@link Json#unrepresentable}): counted and logged. */
    void refuseUnrepresentable(Channel ch, String what) {
        context.metrics.drop(ErrorCode.PAYLOAD_NOT_REPRESENTABLE, what);
        ch.stats().drop(ErrorCode.PAYLOAD_NOT_REPRESENTABLE);
        LOG.info("{}: {} on {}", id(), ErrorCode.PAYLOAD_NOT_REPRESENTABLE.message(what), ch.topic());
    }

    /** Bytes waiting in this connection's outbound queue. */
    long queuedBytes() {
        return outbound.queuedBytes();
    }

    /**
     * The global outbound budget is exhausted and this connection is among the furthest behind: its queue is
     * released at once (so the total drops before the next check) and the socket closes with 1008.
     */
    void disconnectOverBudget() {
        if (closed || disconnecting.get()) return;
        outbound.close();
        disconnect(ErrorCode.OUTBOUND_BUDGET_EXCEEDED, 1008, ErrorCode.OUTBOUND_BUDGET_EXCEEDED.reason());
    }

    /** Counts a drop that belongs to one channel: globally and on its topic, with a log line carrying the code. */
    void dropOn(Channel ch, ErrorCode code) {
        context.metrics.drop(code);
        ch.stats().drop(code);
    }

    /** Closes the connection for a server-side reason, counting and logging it once. */
    void disconnect(ErrorCode reason, int closeCode, String closeReason, Object... args) {
        if (closed || !disconnecting.compareAndSet(false, true)) return;
        context.metrics.drop(reason);
        LOG.info("{}: disconnecting, {}", id(), reason.message(args));
        // Closed from the timer thread: the caller may hold a topic lock, and a container may call onClose inline.
        try {
            context.scheduler.execute(() -> connection.close(closeCode, closeReason));
        } catch (RejectedExecutionException e) {
            connection.close(closeCode, closeReason); // engine shutting down
        }
    }

    void reply(InboundMessage m, String status, JsonNode response) {
        send(codec.encode(m.joinRef(), m.ref(), m.topic(), "phx_reply", status(status, response)));
    }

    void replyError(InboundMessage m, String reasonText) {
        reply(m, "error", reason(reasonText));
    }

    private void replyUnmatched(InboundMessage m) {
        send(codec.encode(null, m.ref(), m.topic(), "phx_reply", status("error", reason(ErrorCode.UNMATCHED_TOPIC.reason()))));
    }

    /** A push from the channel itself: {@code [join_ref, ref, topic, event, payload]}. */
    void push(Channel ch, String event, String ref, JsonNode payload) {
        send(codec.encode(ch.joinRef(), ref, ch.topic(), event, payload));
    }

    static ObjectNode status(String status, JsonNode response) {
        ObjectNode p = Json.object();
        p.put("status", status);
        p.set("response", response);
        return p;
    }

    static ObjectNode reason(String text) {
        ObjectNode r = Json.object();
        r.put("reason", text);
        return r;
    }

    // ---- lifecycle ----------------------------------------------------------------------------------------------

    long idleNanos(long now) {
        return now - lastReceivedNanos;
    }

    void closeIdle() {
        disconnect(ErrorCode.IDLE_TIMEOUT, 1000, "idle timeout", context.config.wsIdleTimeoutMs());
    }

    /** First step of a graceful drain: every joined channel is told the server is going away (docs/wire-protocol.md, Server-initiated closes). */
    synchronized void announceDisconnect() {
        for (Channel ch : channels.values()) {
            push(ch, "system", null, SystemMessages.serverDisconnect(ch.subTopic()));
        }
    }

    /** Server-initiated close of the connection (shutdown, admin). */
    public void close(int code, String reason) {
        connection.close(code, reason);
    }

    /** The transport is gone: leave every channel (presence leaves are fanned out) and release resources. */
    public void onClosed() {
        List<Channel> joined;
        synchronized (this) {
            if (closed) return;
            closed = true;
            joined = new ArrayList<>(channels.values());
            joined.forEach(this::teardown);
        }
        outbound.close();
        synchronized (this) {
            if (countedAsUser) {
                countedAsUser = false;
                context.limits.userLeft();
            }
        }
        registry.closed(this);
    }

    public synchronized int channelCount() {
        return channels.size();
    }

    // ---- admin --------------------------------------------------------------------------------------------------

    /** When the connection was accepted (epoch milliseconds). */
    public long openedAtMs() {
        return openedAtMs;
    }

    /** The verified claims of the connection's token. */
    public Claims claims() {
        return connectClaims;
    }

    /** The joined channels at this moment. */
    public synchronized List<Channel> channels() {
        return List.copyOf(channels.values());
    }

    /** The limit of this connection's outbound queue, in messages. */
    public int queueLimit() {
        return outbound.maxMessages();
    }

    /**
     * Disconnects this connection on an administrator's request: each joined channel gets a {@code system} error
     * with {@code reason} and {@code phx_close} (so the client does not rejoin it), then the socket closes with
     * 1000 once those frames are written (at most after 2 s).
     */
    public void disconnectByAdmin(String reason) {
        String text = "Disconnected by an administrator: " + reason;
        synchronized (this) {
            if (closed) return;
            for (Channel ch : new ArrayList<>(channels.values())) shutdown(ch, text);
        }
        context.metrics.adminDisconnect();
        LOG.info("event=admin_disconnect connection={} reason=\"{}\"", id(), reason.replace("\"", "'"));
        closeWhenFlushed(System.currentTimeMillis() + 2_000);
    }

    /** Closes with 1000 once the outbound queue is empty (checked every 20 ms on the timer), or at {@code deadlineMs}. */
    private void closeWhenFlushed(long deadlineMs) {
        if (queueDepth() == 0 || System.currentTimeMillis() >= deadlineMs) {
            connection.close(1000, "disconnected by an administrator");
            return;
        }
        try {
            context.scheduler.schedule(() -> closeWhenFlushed(deadlineMs), 20, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            connection.close(1000, "disconnected by an administrator"); // engine shutting down
        }
    }
}
