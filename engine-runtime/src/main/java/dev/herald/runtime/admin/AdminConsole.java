package dev.herald.runtime.admin;

import dev.herald.runtime.cdc.CdcService;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.core.PresenceRegistry;
import dev.herald.runtime.core.RealtimeSession;
import dev.herald.runtime.core.Sessions;
import dev.herald.runtime.core.TopicKey;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.metrics.ChannelActivity;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.plugin.PluginHost;
import java.util.List;

/**
 * What the admin API and its filters see of one engine: its live state (sessions, activity, limits, metrics, change
 * capture, plugins) and the admin side's own (who may log in, the login throttle, where limit changes are kept).
 * Built once by the engine's bootstrap; immutable, thread-safe (each part is).
 */
public final class AdminConsole {
    private final HeraldConfig config;
    private final HeraldMetrics metrics;
    private final Limits limits;
    private final ChannelActivity<TopicKey> activity;
    private final Sessions sessions;
    private final PresenceRegistry presence;
    private final CdcService changes;
    private final PluginHost plugins;
    private final AdminAccess access;
    private final LoginThrottle loginThrottle;
    private final LimitStore limitStore;

    /** @param changes the postgres_changes feature, or null when change capture is off */
    public AdminConsole(HeraldConfig config, HeraldMetrics metrics, Limits limits, ChannelActivity<TopicKey> activity,
                        Sessions sessions, PresenceRegistry presence, CdcService changes, PluginHost plugins,
                        AdminAccess access, LoginThrottle loginThrottle, LimitStore limitStore) {
        this.config = config;
        this.metrics = metrics;
        this.limits = limits;
        this.activity = activity;
        this.sessions = sessions;
        this.presence = presence;
        this.changes = changes;
        this.plugins = plugins;
        this.access = access;
        this.loginThrottle = loginThrottle;
        this.limitStore = limitStore;
    }

    public HeraldConfig config() { return config; }
    public HeraldMetrics metrics() { return metrics; }
    public Limits limits() { return limits; }
    /** Per-topic activity (rates, latency, drops). */
    public ChannelActivity<TopicKey> activity() { return activity; }
    /** The postgres_changes feature, or null when change capture is off. */
    public CdcService cdc() { return changes; }
    public PluginHost plugins() { return plugins; }
    /** Who may use the admin API. */
    public AdminAccess adminAccess() { return access; }
    /** Slows down admin password guessing (per address and overall). */
    public LoginThrottle loginThrottle() { return loginThrottle; }
    /** Where limit changes are kept and audited. */
    public LimitStore limitStore() { return limitStore; }

    public int sessionCount() { return sessions.count(); }
    /** The open sessions at this moment. */
    public List<RealtimeSession> sessions() { return sessions.list(); }
    /** The open session with this connection id, or null. */
    public RealtimeSession session(String id) { return sessions.find(id); }
    /** Number of presence keys tracked on the topic. */
    public int presenceMembers(TopicKey key) { return presence.members(key); }
}
