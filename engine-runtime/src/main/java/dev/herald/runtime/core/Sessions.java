package dev.herald.runtime.core;

import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.metrics.HeraldMetrics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The open client connections of this node: opens a {@link RealtimeSession} for each accepted upgrade, forgets it
 * when its transport closes, closes idle ones and, when the outbound bytes of all connections together pass their
 * bound, the ones furthest behind. Thread-safe; it never holds a session lock while calling into another session.
 */
public final class Sessions {
    private final HeraldConfig config;
    private final HeraldMetrics metrics;
    private final Set<RealtimeSession> open = ConcurrentHashMap.newKeySet();
    private final OutboundBudget outboundBudget;

    public Sessions(HeraldConfig config, HeraldMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.outboundBudget = new OutboundBudget(config.outboundMaxTotalBytes(), this::enforceOutboundBudget);
    }

    /** Registers an accepted connection; the host forwards its frames and its close to the returned session. */
    public RealtimeSession open(SessionContext context, Connection connection, HandshakeVerdict verdict) {
        if (!verdict.accepted()) throw new IllegalArgumentException("handshake was refused");
        RealtimeSession s = new RealtimeSession(context, this, connection, verdict.version(), verdict.claims());
        open.add(s);
        metrics.connectionOpened();
        return s;
    }

    void closed(RealtimeSession s) {
        if (open.remove(s)) metrics.connectionClosed();
    }

    public int count() {
        return open.size();
    }

    /** The open sessions at this moment. */
    public List<RealtimeSession> list() {
        return List.copyOf(open);
    }

    /** The open session with this connection id, or null. */
    public RealtimeSession find(String id) {
        for (RealtimeSession s : open) if (s.id().equals(id)) return s;
        return null;
    }

    /** Closes the connections that sent nothing for longer than the idle timeout (the engine's timer). */
    public void closeIdle() {
        long now = System.nanoTime();
        long limit = TimeUnit.MILLISECONDS.toNanos(config.wsIdleTimeoutMs());
        for (RealtimeSession s : open) {
            if (s.idleNanos(now) > limit) s.closeIdle();
        }
    }

    /** The bytes queued for all connections together (a frame shared by several queues counts once). */
    public long queuedBytes() {
        return outboundBudget.bytes();
    }

    /** The bound on {@link #queuedBytes()}, shared by every connection's queue. */
    OutboundBudget outboundBudget() {
        return outboundBudget;
    }

    /**
     * The global outbound budget is exceeded: closes the connections furthest behind (most bytes queued) first,
     * until the total is below the bound. Runs on the thread whose offer crossed it, one at a time; only reads
     * other sessions' counters and closes their queues, so it takes no session lock.
     */
    private void enforceOutboundBudget() {
        List<RealtimeSession> behind = new ArrayList<>(open);
        behind.sort(Comparator.comparingLong(RealtimeSession::queuedBytes).reversed());
        for (RealtimeSession s : behind) {
            if (!outboundBudget.over()) return;
            if (s.queuedBytes() == 0) return;
            s.disconnectOverBudget();
        }
    }

    /** First step of a graceful drain: every joined channel of every connection is told the server is going away. */
    public void announceDisconnect() {
        for (RealtimeSession s : open) s.announceDisconnect();
    }

    /** Whether any connection still has frames waiting to be written. */
    public boolean anyQueued() {
        for (RealtimeSession s : open) if (s.queueDepth() > 0) return true;
        return false;
    }

    /** Closes every connection with {@code code}. */
    public void closeAll(int code, String reason) {
        for (RealtimeSession s : open) s.close(code, reason);
    }
}
