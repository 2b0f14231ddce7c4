package dev.herald.runtime.core;

import dev.herald.runtime.auth.JwtVerifier;
import dev.herald.runtime.cdc.CdcService;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.metrics.ChannelActivity;
import dev.herald.runtime.metrics.HeraldMetrics;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;

/**
 * What a {@link RealtimeSession} and its per-feature handlers reach of the node: one instance per engine, shared by
 * every session, immutable. The handlers ({@link JoinHandler}, {@link BroadcastHandler}, {@link PresenceHandler},
 * {@link TokenLifecycle}) hold no per-connection state, so a connection costs no handler objects; each is called
 * with the session whose lock the caller holds.
 */
public final class SessionContext {
    final HeraldConfig config;
    final HeraldMetrics metrics;
    final Limits limits;
    final JwtVerifier verifier;
    final ChannelAccess channelAccess;
    final ChannelRules channelRules;
    final Broker broker;
    final Broadcasts broadcasts;
    final PresenceRegistry presence;
    /** The postgres_changes feature, or null when change capture is off. */
    final CdcService changes;
    final ChannelActivity<TopicKey> activity;
    final ScheduledExecutorService scheduler;
    final OutboundBudget outboundBudget;
    final BooleanSupplier closing;
    final JoinHandler joins;
    final BroadcastHandler broadcastsIn;
    final PresenceHandler presenceIn;
    final TokenLifecycle tokens;

    /**
     * @param changes the postgres_changes feature, or null when change capture is off
     * @param scheduler the engine's timer thread (token expiry, closes off the caller's thread)
     * @param closing whether a graceful shutdown has started
     */
    public SessionContext(HeraldConfig config, HeraldMetrics metrics, Limits limits, JwtVerifier verifier,
                          ChannelAccess channelAccess, ChannelRules channelRules, Broker broker, Broadcasts broadcasts,
                          PresenceRegistry presence, CdcService changes, ChannelActivity<TopicKey> activity,
                          ScheduledExecutorService scheduler, Sessions sessions, BooleanSupplier closing) {
        this.config = config;
        this.metrics = metrics;
        this.limits = limits;
        this.verifier = verifier;
        this.channelAccess = channelAccess;
        this.channelRules = channelRules;
        this.broker = broker;
        this.broadcasts = broadcasts;
        this.presence = presence;
        this.changes = changes;
        this.activity = activity;
        this.scheduler = scheduler;
        this.outboundBudget = sessions.outboundBudget();
        this.closing = closing;
        this.tokens = new TokenLifecycle(this);
        this.joins = new JoinHandler(this);
        this.broadcastsIn = new BroadcastHandler(this);
        this.presenceIn = new PresenceHandler(this);
    }
}
