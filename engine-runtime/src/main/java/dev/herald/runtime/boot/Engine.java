package dev.herald.runtime.boot;

import dev.herald.api.policy.Principal;
import dev.herald.runtime.admin.AdminAccess;
import dev.herald.runtime.admin.AdminConsole;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.auth.JwtVerifier;
import dev.herald.runtime.auth.TokenException;
import dev.herald.runtime.cdc.CdcService;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.core.Admission;
import dev.herald.runtime.core.Broadcasts;
import dev.herald.runtime.core.Broker;
import dev.herald.runtime.core.Connection;
import dev.herald.runtime.core.HandshakeVerdict;
import dev.herald.runtime.core.PresenceRegistry;
import dev.herald.runtime.core.RealtimeSession;
import dev.herald.runtime.core.SessionContext;
import dev.herald.runtime.core.Sessions;
import dev.herald.runtime.core.TopicKey;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.metrics.ChannelActivity;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.plugin.PluginHost;
import dev.herald.runtime.policy.ChannelAuthorizer;
import dev.herald.runtime.policy.RowAuthorizer;
import dev.herald.runtime.protocol.UserBroadcast;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Herald node: the composition root that holds its named components and hands the hosts (standalone
 * launcher, application server) what they call — upgrades and sessions, REST broadcasts, plugin endpoints, the
 * admin console, health and metrics. Built only by {@link EngineBootstrap}, which runs every step that does I/O;
 * constructing an engine only wires. Thread-safe.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    /** How often kept messages are aged out and idle per-topic state is let go. */
    static final long TOPIC_SWEEP_MS = 1_000;

    private final HeraldConfig config;
    private final List<String> startupNotes;
    private final HeraldMetrics metrics;
    private final Limits limits;
    private final JwtVerifier verifier;
    private final Admission admission;
    private final ChannelAuthorizer channelAuthorizer;
    private final RowAuthorizer rowAuthorizer;
    private final Broker broker;
    private final ChannelActivity<TopicKey> activity;
    private final Broadcasts broadcasts;
    private final PresenceRegistry presence;
    private final Sessions sessions;
    private final SessionContext sessionContext;
    private final ScheduledThreadPoolExecutor scheduler;
    private final Database database;
    private final AutoCloseable embeddedDatabase;
    private final CdcService cdc;
    private final PluginHost plugins;
    private final PluginBridge pluginBridge;
    private volatile AdminConsole admin;
    private volatile EngineState state = EngineState.STARTING;

    /** The components an engine is made of, built by {@link EngineBootstrap} in its steps. */
    record Parts(HeraldConfig config, List<String> startupNotes, HeraldMetrics metrics, Limits limits, JwtVerifier verifier,
                 Admission admission, ChannelAuthorizer channelAuthorizer, RowAuthorizer rowAuthorizer, Broker broker,
                 ChannelActivity<TopicKey> activity, Broadcasts broadcasts, PresenceRegistry presence, Sessions sessions,
                 SessionContext sessionContext, ScheduledThreadPoolExecutor scheduler, Database database,
                 AutoCloseable embeddedDatabase, CdcService cdc, PluginHost plugins, PluginBridge pluginBridge) {
    }

    Engine(Parts p) {
        this.config = p.config();
        this.startupNotes = List.copyOf(p.startupNotes());
        this.metrics = p.metrics();
        this.limits = p.limits();
        this.verifier = p.verifier();
        this.admission = p.admission();
        this.channelAuthorizer = p.channelAuthorizer();
        this.rowAuthorizer = p.rowAuthorizer();
        this.broker = p.broker();
        this.activity = p.activity();
        this.broadcasts = p.broadcasts();
        this.presence = p.presence();
        this.sessions = p.sessions();
        this.sessionContext = p.sessionContext();
        this.scheduler = p.scheduler();
        this.database = p.database();
        this.embeddedDatabase = p.embeddedDatabase();
        this.cdc = p.cdc();
        this.plugins = p.plugins();
        this.pluginBridge = p.pluginBridge();
    }

    /** Starts the engine's timers: idle connections, the per-topic sweep. */
    void startTimers() {
        long idleSweep = Math.max(250, Math.min(5_000, config.wsIdleTimeoutMs() / 4));
        scheduler.scheduleWithFixedDelay(sessions::closeIdle, idleSweep, idleSweep, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::sweepTopics, TOPIC_SWEEP_MS, TOPIC_SWEEP_MS, TimeUnit.MILLISECONDS);
    }

    private void sweepTopics() {
        broadcasts.sweep();
        activity.sweep();
    }

    void admin(AdminConsole console) {
        this.admin = console;
    }

    void state(EngineState next) {
        this.state = next;
    }

    /** Where the engine is in its life. */
    public EngineState state() {
        return state;
    }

    /** Whether a graceful shutdown has started (joins and new messages are refused). */
    public boolean closing() {
        return state.compareTo(EngineState.DRAINING) >= 0;
    }

    // ---- components ---------------------------------------------------------------------------------------------

    public HeraldConfig config() { return config; }
    public HeraldMetrics metrics() { return metrics; }
    public Broker broker() { return broker; }
    public JwtVerifier verifier() { return verifier; }
    /** Decides joins and writes on private channels. */
    public ChannelAuthorizer channelAuthorizer() { return channelAuthorizer; }
    /** In-engine row policies for postgres_changes. */
    public RowAuthorizer rowAuthorizer() { return rowAuthorizer; }
    /** The global limits; their settings can be replaced at runtime. */
    public Limits limits() { return limits; }
    /** The one publish path of broadcasts. */
    public Broadcasts broadcasts() { return broadcasts; }
    /** The open connections. */
    public Sessions sessions() { return sessions; }
    /** The presence state of every topic. */
    public PresenceRegistry presence() { return presence; }
    /** Per-topic activity (rates, latency, drops) for the admin API. */
    public ChannelActivity<TopicKey> activity() { return activity; }
    /** The postgres_changes feature, or null when change capture is disabled. */
    public CdcService cdc() { return cdc; }
    /** Herald's database, or null when nothing needs one. */
    public Database database() { return database; }
    /** The plugins of this engine. */
    public PluginHost plugins() { return plugins; }
    /** What the admin API sees of this engine. */
    public AdminConsole admin() { return admin; }
    /** Who may use the admin API. */
    public AdminAccess adminAccess() { return admin.adminAccess(); }
    /** Lines the host should print on start (e.g. generated development keys). */
    public List<String> startupNotes() { return startupNotes; }

    // ---- connections --------------------------------------------------------------------------------------------

    /** Checks a realtime WebSocket upgrade (see {@link Admission#checkHandshake}). */
    public HandshakeVerdict checkHandshake(String vsn, String apikeyParam, String apikeyHeader) {
        return admission.checkHandshake(vsn, apikeyParam, apikeyHeader);
    }

    /** Checks a WebSocket upgrade to a plugin endpoint (see {@link Admission#checkPluginHandshake}). */
    public HandshakeVerdict checkPluginHandshake(String token) {
        return admission.checkPluginHandshake(token);
    }

    /** Registers an accepted connection; the host forwards its frames and its close to the returned session. */
    public RealtimeSession open(Connection connection, HandshakeVerdict verdict) {
        return sessions.open(sessionContext, connection, verdict);
    }

    public int sessionCount() {
        return sessions.count();
    }

    // ---- REST and plugin endpoints ------------------------------------------------------------------------------

    /** Authenticates a REST call (see {@link Admission#authenticateRest}). */
    public Claims authenticateRest(String authorization, String apikey) throws TokenException {
        return admission.authenticateRest(authorization, apikey);
    }

    /** Publishes a JSON broadcast sent over REST (see {@link Broadcasts#publishFromRest}). */
    public boolean broadcastJson(String name, boolean isPrivate, String event, JsonNode payload, String id, Principal sender) {
        return broadcasts.publishFromRest(name, isPrivate, event, payload, id, sender);
    }

    /** Publishes a user broadcast sent over REST (see {@link Broadcasts#publishFromRest}). */
    public boolean broadcastUser(String name, boolean isPrivate, UserBroadcast broadcast, Principal sender) {
        return broadcasts.publishFromRest(name, isPrivate, broadcast, sender);
    }

    /** Whether {@code sender} may broadcast on the private topic {@code name}; a refusal is counted. */
    public boolean mayBroadcast(String name, Principal sender) {
        return broadcasts.mayBroadcast(name, sender);
    }

    /** The verified caller of a plugin REST request; {@link TokenException} when the JWT is missing or invalid. */
    public Principal authenticatePluginCall(String authorization, String apikey) throws TokenException {
        return pluginBridge.restCaller(authorization, apikey);
    }

    /** Verifies the JWT of a plugin WebSocket upgrade; throws when it is invalid. */
    public Principal verifyPluginToken(String token) {
        return pluginBridge.verify(token);
    }

    // ---- shutdown -----------------------------------------------------------------------------------------------

    /**
     * Graceful drain: every joined channel gets {@code system} "Server requested disconnect", queued messages get
     * up to {@code deadlineMs} to reach their clients, then sockets close with 1012 and change capture stops
     * (Debezium flushes its offsets on close).
     */
    public void close(long deadlineMs) {
        // From here on nothing new is accepted: it could not be delivered nor kept for resume.
        state(EngineState.DRAINING);
        // Stop the change feed first: what it has not handed out stays in the slot for the next start.
        if (cdc != null) cdc.stopFeed();
        sessions.announceDisconnect();
        long end = System.currentTimeMillis() + deadlineMs;
        while (System.currentTimeMillis() < end && sessions.anyQueued()) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        close();
    }

    @Override
    public void close() {
        if (state == EngineState.CLOSED) return;
        if (state != EngineState.DRAINING) state(EngineState.DRAINING);
        sessions.closeAll(1012, "service restart");
        scheduler.shutdownNow();
        if (cdc != null) cdc.close();
        plugins.close(config.pluginsCloseDeadlineMs());
        broadcasts.close();
        if (database != null) database.close();
        if (embeddedDatabase != null) {
            try {
                embeddedDatabase.close();
            } catch (Exception e) {
                LOG.warn("error stopping the embedded database: {}", e.toString());
            }
        }
        state(EngineState.CLOSED);
    }
}
