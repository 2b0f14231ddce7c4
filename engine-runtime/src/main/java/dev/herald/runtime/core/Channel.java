package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.cdc.Subscriber;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.metrics.ChannelStats;
import dev.herald.runtime.protocol.Outbound;
import java.util.concurrent.ScheduledFuture;

/**
 * One joined channel of one session: the join's settings and the token it was authorised with. Mutable state is
 * changed only while holding the owning session's lock; {@link #deliver} may be called from any thread.
 */
public final class Channel implements Subscriber {
    private final RealtimeSession session;
    private final TopicKey key;
    private final String joinRef;
    private final boolean self;
    private final boolean ack;
    private final String presenceKey;
    private final ArrayNode postgresChanges;
    private ArrayNode subscribedChanges;
    private ChannelRules.Rule rule;
    private volatile boolean presenceEnabled;
    /** Read rights; always true on public channels, decided by policy on private ones. */
    private volatile boolean broadcastRead = true;
    private volatile boolean presenceRead = true;
    /** Write rights on private channels, decided on first use; null = not asked yet (session lock). */
    private Boolean broadcastWrite;
    private Boolean presenceWrite;
    private volatile Claims claims;
    private ScheduledFuture<?> expiry;
    private ScheduledFuture<?> expiryNotice;
    private final Limits.WindowCounter presenceCalls;
    private volatile ChannelStats stats;

    Channel(RealtimeSession session, TopicKey key, String joinRef, JoinRequest join, String presenceKey, Claims claims) {
        this.session = session;
        this.key = key;
        this.joinRef = joinRef;
        this.self = join.self();
        this.ack = join.ack();
        this.presenceEnabled = join.presenceEnabled();
        this.presenceKey = presenceKey;
        this.postgresChanges = join.postgresChanges();
        this.claims = claims;
        this.presenceCalls = session == null ? null : session.context().limits.presenceCallCounter();
    }

    public TopicKey key() { return key; }
    @Override
    public String topic() { return key.joinTopic(); }
    public String subTopic() { return key.name(); }
    public String joinRef() { return joinRef; }
    public boolean self() { return self; }
    public boolean ack() { return ack; }
    public String presenceKey() { return presenceKey; }
    public boolean presenceEnabled() { return presenceEnabled; }
    public Claims claims() { return claims; }
    public ArrayNode postgresChanges() { return postgresChanges; }
    /** The bindings as subscribed: the client's, with default filters of the channel rule filled in (same ids). */
    public ArrayNode subscribedChanges() { return subscribedChanges != null ? subscribedChanges : postgresChanges; }
    /** The declared rule of this channel (see {@link ChannelRules}), or null when none applies. */
    public ChannelRules.Rule rule() { return rule; }

    void rule(ChannelRules.Rule rule, ArrayNode subscribed) {
        this.rule = rule;
        this.subscribedChanges = subscribed;
    }
    public RealtimeSession session() { return session; }

    void enablePresence() { presenceEnabled = true; }
    public boolean isPrivate() { return key.isPrivate(); }
    public boolean broadcastRead() { return broadcastRead; }
    public boolean presenceRead() { return presenceRead; }
    void readRights(boolean broadcast, boolean presence) {
        broadcastRead = broadcast;
        presenceRead = presence;
    }
    Boolean broadcastWrite() { return broadcastWrite; }
    void broadcastWrite(Boolean allowed) { broadcastWrite = allowed; }
    Boolean presenceWrite() { return presenceWrite; }
    void presenceWrite(Boolean allowed) { presenceWrite = allowed; }
    void claims(Claims c) { claims = c; }

    void expiry(ScheduledFuture<?> f) {
        if (expiry != null) expiry.cancel(false);
        expiry = f;
    }

    void expiryNotice(ScheduledFuture<?> f) {
        if (expiryNotice != null) expiryNotice.cancel(false);
        expiryNotice = f;
    }

    /** Client presence calls in the current window (guarded by the session lock). */
    Limits.WindowCounter presenceCalls() {
        return presenceCalls;
    }

    /**
     * Hands a fanned-out message to the session's outbound queue; never blocks. On a private channel, broadcasts
     * need broadcast-read and presence diffs presence-read.
     */
    @Override
    public void deliver(Outbound message) {
        if (key.isPrivate()) {
            String event = message.event();
            if ("broadcast".equals(event) && !broadcastRead) return;
            if ("presence_diff".equals(event) && !presenceRead) return;
        }
        session.deliver(message, this);
    }

    @Override
    public void changesRecovered(boolean recovered, int count) {
        session.pushRecovery(this, "changes", recovered, count);
    }

    @Override
    public void bindingFailed(Exception error) {
        session.postgresBindingFailed(this, error);
    }

    /** This topic's activity record for the admin API (looked up once per join). */
    ChannelStats stats() {
        ChannelStats s = stats;
        if (s == null) stats = s = session.context().activity.of(key);
        return s;
    }
}
