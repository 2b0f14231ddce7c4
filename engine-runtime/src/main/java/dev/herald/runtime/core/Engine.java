package dev.herald.runtime.core;

import dev.herald.runtime.metrics.ChannelActivity;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.AuthSettings;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.auth.JwtVerifier;
import dev.herald.runtime.auth.TokenException;
import dev.herald.runtime.cdc.CdcService;
import dev.herald.runtime.cdc.DebeziumCdcSource;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.db.Database;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.limits.LimitSettings;
import dev.herald.runtime.policy.ChannelAuthorizer;
import dev.herald.runtime.policy.PolicyFile;
import dev.herald.runtime.policy.RowAuthorizer;
import dev.herald.runtime.policy.Principals;
import dev.herald.runtime.plugin.EnginePluginContext;
import dev.herald.runtime.plugin.PluginHost;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.Outbound;
import dev.herald.runtime.protocol.ProtocolVersion;
import dev.herald.runtime.protocol.UserBroadcast;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The realtime engine: sessions, the broker, presence, token verification and metrics. Hosts (standalone launcher,
 * application server) create it through {@link EngineBootstrap} and feed it connections and REST calls.
 * Thread-safe.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    /** How often kept messages are aged out and idle per-topic state is let go. */
    static final long TOPIC_SWEEP_MS = 1_000;

    private final HeraldConfig config;
    private final JwtVerifier verifier;
    private final HeraldMetrics metrics = new HeraldMetrics().operations();
    private final Limits limits;
    private volatile boolean closing;
    private final ChannelAuthorizer channelAuthorizer;
    private final ChannelAccess channelAccess;
    /** Distinguishes this engine's broadcast positions from an earlier run's. */
    private final String epoch;
    /** The durable replay window for broadcasts, or null when it is kept in memory only. */
    private final PgBroadcastStore replayStore;
    private final ConcurrentHashMap<TopicKey, TopicLog> topicLogs = new ConcurrentHashMap<>();
    private final ReplayBudget replayBudget;
    private final OutboundBudget outboundBudget;
    private final RowAuthorizer rowAuthorizer;
    private final Broker broker = new InMemoryBroker();
    private final ConcurrentHashMap<TopicKey, PresenceTracker> presence = new ConcurrentHashMap<>();
    private final Set<RealtimeSession> sessions = ConcurrentHashMap.newKeySet();
    private final ScheduledThreadPoolExecutor scheduler;
    private final List<String> startupNotes;
    private final Database database;
    private final AutoCloseable embeddedDatabase;
    private final CdcService cdc;

    private final PluginHost plugins;
    /** The engine as plugins and plugin endpoints reach it (one per engine; it holds no state of its own). */
    private final PluginSide pluginSide = new PluginSide();

    Engine(HeraldConfig config, String jwtSecret, List<String> startupNotes, Database database, AutoCloseable embeddedDatabase, PluginHost plugins) {
        this.config = config;
        this.verifier = new JwtVerifier(new AuthSettings(jwtSecret.getBytes(StandardCharsets.UTF_8), config.jwtJwksUrl(),
                config.jwtJwksFile(), config.jwtClockSkewSeconds(), config.jwtAudience(), config.jwtIssuer(), Clock.systemUTC()));
        this.startupNotes = List.copyOf(startupNotes);
        this.limits = new Limits(LimitSettings.fromConfig(config), System::currentTimeMillis);
        PolicyFile policies = config.policyFile() == null ? PolicyFile.defaults() : PolicyFile.load(config.policyFile());
        this.database = database;
        this.plugins = plugins;
        plugins.metrics(metrics);
        // Plugins start before the authorisers are built: their policies join the policy file's.
        plugins.start(EnginePluginContext.factory(plugins, pluginSide));
        List<dev.herald.api.policy.ChannelPolicy> channelPolicies = new java.util.ArrayList<>(policies.channelPolicies());
        channelPolicies.addAll(plugins.channelPolicies());
        List<dev.herald.api.policy.RowPolicy> rowPolicies = new java.util.ArrayList<>(policies.rowPolicies());
        rowPolicies.addAll(plugins.rowPolicies());
        this.channelAuthorizer = new ChannelAuthorizer(channelPolicies);
        this.channelAccess = new ChannelAccess(channelAuthorizer);
        this.rowAuthorizer = new RowAuthorizer(rowPolicies);
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "herald-timers");
            t.setDaemon(true);
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        long sweep = Math.max(250, Math.min(5_000, config.wsIdleTimeoutMs() / 4));
        scheduler.scheduleWithFixedDelay(this::closeIdleSessions, sweep, sweep, TimeUnit.MILLISECONDS);
        this.replayBudget = new ReplayBudget(config.replayMaxBytes(), config.replayMaxAgeMs());
        this.outboundBudget = new OutboundBudget(config.outboundMaxTotalBytes(), this::enforceOutboundBudget);
        this.loginThrottle = new dev.herald.runtime.admin.LoginThrottle(config.adminLoginThrottleStepMs(),
                config.adminLoginThrottleMaxMs(), System::currentTimeMillis);
        scheduler.scheduleWithFixedDelay(this::sweepTopics, TOPIC_SWEEP_MS, TOPIC_SWEEP_MS, TimeUnit.MILLISECONDS);
        this.embeddedDatabase = embeddedDatabase;
        PgBroadcastStore store = null;
        if (database != null && config.replayStore().equals("postgres") && config.replayMaxMessages() > 0) {
            try {
                database.migrate();
                store = new PgBroadcastStore(database.dataSource(), config.replayMaxAgeMs(), config.replayMaxMessages());
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("cannot open the replay store in the herald schema: " + e.getMessage(), e);
            }
        }
        this.replayStore = store;
        this.epoch = store != null ? store.epoch()
                : Long.toHexString(System.currentTimeMillis()) + Integer.toHexString(new java.security.SecureRandom().nextInt() & 0xFFFF);
        List<String> cdcTables = new java.util.ArrayList<>(config.cdcTables());
        for (String t : plugins.publishedTables()) if (!cdcTables.contains(t)) cdcTables.add(t);
        this.cdc = database == null || !config.cdcEnabled() ? null : new CdcService(database,
                new DebeziumCdcSource.Settings(database.jdbcUrl(), database.user(), database.password(), config.cdcSlot(),
                        config.cdcPublication(), config.cdcPollIntervalMs(), config.cdcOffsetFlushMs()),
                cdcTables, metrics, rowAuthorizer, config.replayMaxMessages(), config.replayMaxAgeMs(), config.replayChangesMaxBytes(),
                DebeziumCdcSource::new);
        if (cdc != null) {
            // Plugin tables reach subscribers only when published by their plugin, and only when guarded.
            cdc.publications().exclude(plugins.internalTables());
            dev.herald.runtime.plugin.PluginTables.requireGuarded(plugins.publishedTables(), rowAuthorizer, database.dataSource());
        }
    }

    /** Starts change capture (prepares the schema and publication first). */
    void startCdc() throws java.sql.SQLException {
        if (cdc == null) return;
        if (plugins.hasHooks()) cdc.afterFanOut(plugins::onChange);
        cdc.start();
    }

    /** The plugins of this engine. */
    public PluginHost plugins() { return plugins; }

    /** What plugins reach of the engine (see {@link EnginePluginContext}). */
    private final class PluginSide implements EnginePluginContext.Engineside {
        @Override
        public void broadcast(String topic, boolean privateChannel, String event, JsonNode payload) {
            publishServerBroadcast(new TopicKey(privateChannel, topic), event, payload);
        }

        @Override
        public java.util.Map<String, List<java.util.Map<String, Object>>> presence(String topic, boolean privateChannel) {
            PresenceTracker tracker = Engine.this.presence.get(new TopicKey(privateChannel, topic));
            java.util.Map<String, List<java.util.Map<String, Object>>> out = new java.util.LinkedHashMap<>();
            if (tracker == null) return out;
            tracker.state().fields().forEachRemaining(e -> {
                List<java.util.Map<String, Object>> metas = new java.util.ArrayList<>();
                for (JsonNode m : e.getValue().path("metas")) {
                    metas.add(Json.MAPPER.convertValue(m, new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, Object>>() { }));
                }
                out.put(e.getKey(), List.copyOf(metas));
            });
            return out;
        }

        @Override
        public Principal principal(String authorization, String apikey) {
            try {
                return Principals.of(authenticateRest(authorization, apikey));
            } catch (TokenException e) {
                metrics.drop(ErrorCode.REST_UNAUTHORIZED);
                throw EnginePluginContext.unauthorized(e.getMessage());
            }
        }

        @Override
        public Principal verify(String jwt) {
            try {
                return Principals.of(verifier.verify(jwt));
            } catch (TokenException e) {
                throw EnginePluginContext.unauthorized(e.getMessage());
            }
        }

        @Override
        public javax.sql.DataSource dataSource() {
            return database == null ? null : database.dataSource();
        }

        @Override
        public boolean pluginEnabled(String id) {
            return plugins.isEnabled(id);
        }
    }

    /** Checks the JWT of a plugin REST call; throws a JSON 401 when it is missing or invalid. */
    public Principal authenticatePluginCall(String authorization, String apikey) {
        return pluginSide.principal(authorization, apikey);
    }

    /** Verifies the JWT of a plugin WebSocket upgrade; throws when it is invalid. */
    public Principal verifyPluginToken(String token) {
        return pluginSide.verify(token);
    }

    /**
     * Checks a WebSocket upgrade to a plugin endpoint ({@code /plugins/...}): a valid JWT is required (query
     * {@code access_token} / {@code apikey}, or a {@code herald-jwt.} subprotocol).
     */
    public HandshakeVerdict checkPluginHandshake(String token) {
        if (closing) return HandshakeVerdict.refuse(503, "{\"error\":" + Json.quote(ErrorCode.REALTIME_RESTARTING.message()) + "}", 0);
        if (token == null || token.isBlank()) {
            metrics.drop(ErrorCode.API_KEY_MISSING);
            return HandshakeVerdict.refuse(401, "{\"error\":" + Json.quote(ErrorCode.API_KEY_MISSING.message()) + "}", 0);
        }
        try {
            return HandshakeVerdict.accept(null, verifier.verify(token));
        } catch (TokenException e) {
            metrics.drop(ErrorCode.REST_UNAUTHORIZED);
            return HandshakeVerdict.refuse(401, "{\"error\":" + Json.quote(e.reason()) + "}", 0);
        }
    }

    /** Publishes a message from the server itself (plugins): no write policy applies. */
    public void publishServerBroadcast(TopicKey key, String event, JsonNode payload) {
        ObjectNode message = Json.object();
        message.set("payload", payload);
        message.put("event", event);
        message.put("type", "broadcast");
        limits.countEvents(1 + publishBroadcast(key, message, null, null));
    }

    /** The postgres_changes feature, or null when change capture is disabled. */
    public CdcService cdc() { return cdc; }

    /** Herald's database, or null when change capture is disabled. */
    public Database database() { return database; }

    public HeraldConfig config() { return config; }
    public HeraldMetrics metrics() { return metrics; }
    public Broker broker() { return broker; }
    public JwtVerifier verifier() { return verifier; }
    /** Decides joins and writes on private channels. */
    public ChannelAuthorizer channelAuthorizer() { return channelAuthorizer; }
    /** The private-channel check every path uses. */
    ChannelAccess channelAccess() { return channelAccess; }
    /** In-engine row policies for postgres_changes. */
    public RowAuthorizer rowAuthorizer() { return rowAuthorizer; }
    /** The global limits; their settings can be replaced at runtime. */
    public Limits limits() { return limits; }
    ScheduledExecutorService scheduler() { return scheduler; }

    /** Lines the host should print on start (e.g. generated development keys). */
    public List<String> startupNotes() { return startupNotes; }

    // ---- connections --------------------------------------------------------------------------------------------

    /**
     * Checks an upgrade request: a supported {@code vsn} and a valid token from the {@code x-api-key} header or
     * the {@code apikey} query parameter.
     */
    public HandshakeVerdict checkHandshake(String vsn, String apikeyParam, String apikeyHeader) {
        ProtocolVersion version = ProtocolVersion.fromParameter(vsn);
        if (version == null) return HandshakeVerdict.refuse(403, "", 0);
        String token = apikeyHeader != null && !apikeyHeader.isBlank() ? apikeyHeader : apikeyParam;
        if (token == null || token.isBlank()) {
            return refuseUpgrade(ErrorCode.API_KEY_MISSING.message(), ErrorCode.API_KEY_MISSING);
        }
        Claims claims;
        try {
            claims = verifier.verify(token);
        } catch (TokenException e) {
            return refuseUpgrade(401, e.text(), e.code());
        }
        if (limits.usersFull()) return refuseUpgrade(429, ErrorCode.CONNECTION_RATE_LIMIT.message(), ErrorCode.CONNECTION_RATE_LIMIT);
        if (limits.joinsAtLimit()) return refuseUpgrade(429, ErrorCode.JOIN_RATE_LIMIT.message(), ErrorCode.JOIN_RATE_LIMIT);
        return HandshakeVerdict.accept(version, claims);
    }

    private HandshakeVerdict refuseUpgrade(String message, ErrorCode code) {
        return refuseUpgrade(401, message, code);
    }

    private HandshakeVerdict refuseUpgrade(int status, String message, ErrorCode code) {
        metrics.drop(code);
        LOG.info("WebSocket upgrade refused ({}): {}", status, message);
        ObjectNode body = Json.object();
        body.put("error", message);
        return HandshakeVerdict.refuse(status, Json.write(body), config.handshakeErrorDelayMs());
    }

    /** Registers an accepted connection; the host forwards its frames and its close to the returned session. */
    public RealtimeSession open(Connection connection, HandshakeVerdict verdict) {
        if (!verdict.accepted()) throw new IllegalArgumentException("handshake was refused");
        RealtimeSession s = new RealtimeSession(this, connection, verdict.version(), verdict.claims());
        sessions.add(s);
        metrics.connectionOpened();
        return s;
    }

    void sessionClosed(RealtimeSession s) {
        if (sessions.remove(s)) metrics.connectionClosed();
    }

    public int sessionCount() {
        return sessions.size();
    }

    private void closeIdleSessions() {
        long now = System.nanoTime();
        long limit = TimeUnit.MILLISECONDS.toNanos(config.wsIdleTimeoutMs());
        for (RealtimeSession s : sessions) {
            if (s.idleNanos(now) > limit) s.closeIdle();
        }
    }

    /**
     * The current log of a topic. Callers that get {@link TopicLog#RETIRED} or null back from it (the sweep retired
     * it meanwhile) fetch it again: the retired one is already out of the map.
     */
    TopicLog topicLog(TopicKey key) {
        return topicLogs.computeIfAbsent(key, k -> {
            int slot = generationSlot(k);
            synchronized (retiredTombs) {
                TopicLog.Tomb tomb = retiredTombs[slot];
                if (tomb != null && tomb.key().equals(k)) {
                    // The topic's last incarnation is remembered: continue its stream, so a client that missed
                    // nothing still resumes with recovered:true.
                    retiredTombs[slot] = null;
                    return new TopicLog(k, tomb.epoch(), broker, config.replayMaxMessages(), config.replayTopicMaxBytes(),
                            replayBudget, replayStore, tomb.nextOffset(), false);
                }
                // Otherwise a fresh epoch whenever a topic of this slot lost its tomb, so no incarnation of this
                // topic shares an earlier one's epoch.
                long generation = retiredGenerations.get(slot);
                String e = generation == 0 ? epoch : epoch + "." + Long.toHexString(generation);
                return new TopicLog(k, e, broker, config.replayMaxMessages(), config.replayTopicMaxBytes(), replayBudget,
                        replayStore, 0, generation != 0);
            }
        });
    }

    /** Subscribes a resuming channel through the topic's current log (see {@link TopicLog#subscribe}). */
    void resumeBroadcast(Channel ch, String position, java.util.function.Consumer<TopicLog.Replay> deliverFirst) {
        while (!topicLog(ch.key()).subscribe(ch, position, deliverFirst)) Thread.onSpinWait();
    }

    /** The position of the newest broadcast on a topic, for join replies. */
    String broadcastPosition(TopicKey key) {
        for (;;) {
            String p = topicLog(key).currentPosition();
            if (p != null) return p;
        }
    }

    private static int generationSlot(TopicKey key) {
        return (key.hashCode() & 0x7fffffff) % RETIRED_GENERATION_SLOTS;
    }

    /**
     * Per hash slot of the topic key: the last retired topic's epoch and next offset (its tomb), and how many tombs the
     * slot lost to later retirements. A bounded table (a few hundred kilobytes) instead of a record per topic ever
     * used: a topic whose tomb survives continues its stream; one whose tomb was overwritten gets a new epoch.
     */
    private static final int RETIRED_GENERATION_SLOTS = 4096;
    private final java.util.concurrent.atomic.AtomicLongArray retiredGenerations = new java.util.concurrent.atomic.AtomicLongArray(RETIRED_GENERATION_SLOTS);
    private final TopicLog.Tomb[] retiredTombs = new TopicLog.Tomb[RETIRED_GENERATION_SLOTS];
    /** Beyond this many idle logs (no messages, no subscribers) they are retired without waiting out the grace. */
    static final int IDLE_LOGS_KEPT = 4096;

    /**
     * The once-a-second sweep of per-topic memory: ages out kept broadcasts of every topic (not only of topics that
     * are touched again), retires topic logs that keep nothing and nobody subscribes to, and lets the console's
     * activity records go.
     */
    private void sweepTopics() {
        try {
            long now = System.currentTimeMillis();
            replayBudget.sweep(now);
            long grace = config.replayMaxAgeMs();
            int idle = 0;
            for (TopicLog log : topicLogs.values()) if (log.isEmpty()) idle++;
            if (idle > IDLE_LOGS_KEPT) grace = 0;
            for (java.util.Map.Entry<TopicKey, TopicLog> e : topicLogs.entrySet()) {
                TopicLog log = e.getValue();
                if (log.retireIfIdle(now, grace) && topicLogs.remove(e.getKey(), log)) {
                    int slot = generationSlot(e.getKey());
                    synchronized (retiredTombs) {
                        if (retiredTombs[slot] != null) retiredGenerations.incrementAndGet(slot);
                        retiredTombs[slot] = log.tomb();
                    }
                }
            }
            activity.sweep();
        } catch (RuntimeException e) {
            LOG.warn("topic sweep failed: {}", e.toString());
        }
    }

    /** Topic logs currently held (for tests and diagnostics). */
    int topicLogCount() {
        return topicLogs.size();
    }

    /** The bytes queued for all connections together. */
    OutboundBudget outboundBudget() {
        return outboundBudget;
    }

    /**
     * The global outbound budget is exceeded: closes the connections furthest behind (most bytes queued) first,
     * until the total is below the bound. Runs on the thread whose offer crossed it, one at a time; only reads
     * other sessions' counters and closes their queues, so it takes no session lock.
     */
    private void enforceOutboundBudget() {
        List<RealtimeSession> behind = new java.util.ArrayList<>(sessions);
        behind.sort(java.util.Comparator.comparingLong(RealtimeSession::queuedBytes).reversed());
        for (RealtimeSession s : behind) {
            if (!outboundBudget.over()) return;
            if (s.queuedBytes() == 0) return;
            s.disconnectOverBudget();
        }
    }

    /** The shared bound of the broadcast resume windows. */
    ReplayBudget replayBudget() {
        return replayBudget;
    }

    /** Whether a graceful shutdown has started (joins and new messages are refused). */
    public boolean closing() {
        return closing;
    }

    /**
     * Publishes a broadcast on {@code key} with its stream position in the message ({@code meta.herald_pos} for
     * JSON, the binary metadata for user broadcasts), kept for resume.
     *
     * @return the number of channels it was handed to
     */
    int publishBroadcast(TopicKey key, JsonNode payload, UserBroadcast user, Channel except) {
        int handed = publishBroadcastUnrecorded(key, payload, user, except);
        if (!closing) {
            activity.of(key).published();
            metrics.published();
        }
        return handed;
    }

    private int publishBroadcastUnrecorded(TopicKey key, JsonNode payload, UserBroadcast user, Channel except) {
        if (closing) {
            metrics.drop(ErrorCode.REALTIME_RESTARTING);
            return 0;
        }
        if (config.replayMaxMessages() == 0) {
            // Resume is off: no positions, messages exactly as Supabase shapes them.
            // Client metadata is never forwarded (reference behaviour).
            Outbound plain = user != null
                    ? Outbound.userBroadcast(key.joinTopic(), new UserBroadcast(user.event(), user.json(), user.payload(), UserBroadcast.NO_METADATA))
                    : Outbound.push(key.joinTopic(), "broadcast", payload);
            return broker.publish(key, plain, except, false);
        }
        for (;;) {
            int handed = publishPositioned(topicLog(key), key, payload, user, except);
            if (handed != TopicLog.RETIRED) return handed;
        }
    }

    private int publishPositioned(TopicLog log, TopicKey key, JsonNode payload, UserBroadcast user, Channel except) {
        return log.publish(offset -> {
            String pos = log.position(offset);
            if (user != null) {
                byte[] meta = ("{\"herald_pos\":" + Json.quote(pos) + "}").getBytes(StandardCharsets.UTF_8);
                UserBroadcast positioned = new UserBroadcast(user.event(), user.json(), user.payload(), meta);
                return new TopicLog.Built(Outbound.userBroadcast(key.joinTopic(), positioned), null, positioned);
            }
            JsonNode withPos = payload;
            if (payload != null && payload.isObject()) {
                ObjectNode copy = ((ObjectNode) payload).deepCopy();
                JsonNode meta = copy.get("meta");
                ObjectNode m = meta != null && meta.isObject() ? (ObjectNode) meta : copy.putObject("meta");
                m.put("herald_pos", pos);
                withPos = copy;
            }
            return new TopicLog.Built(Outbound.push(key.joinTopic(), "broadcast", withPos), withPos, null);
        }, except);
    }

    PresenceTracker presence(TopicKey key) {
        return presence.computeIfAbsent(key, k -> new PresenceTracker());
    }

    void releasePresence(TopicKey key, PresenceTracker tracker) {
        presence.computeIfPresent(key, (k, t) -> t == tracker && t.isEmpty() && broker.subscribers(k) == 0 ? null : t);
    }

    // ---- REST ---------------------------------------------------------------------------------------------------

    /**
     * Authenticates a REST call: {@code Authorization: Bearer <jwt>} (scheme case-insensitive) wins over the
     * {@code apikey} header.
     */
    public Claims authenticateRest(String authorization, String apikey) throws TokenException {
        String token = null;
        if (authorization != null) {
            String a = authorization.strip();
            if (a.length() > 7 && a.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) token = a.substring(7).strip();
        }
        if (token == null || token.isEmpty()) token = apikey;
        if (token == null || token.isBlank()) throw new TokenException(ErrorCode.TOKEN_MALFORMED);
        return verifier.verify(token);
    }

    /**
     * Publishes a JSON broadcast (REST batch endpoint shape). Private messages are not delivered until an access
     * policy can authorise them.
     *
     * @return whether the message was delivered to the topic
     */
    public boolean broadcastJson(String name, boolean isPrivate, String event, JsonNode payload, String id, Principal sender) {
        if (isPrivate && !mayBroadcast(name, sender)) return false;
        ObjectNode message = Json.object();
        message.set("payload", payload);
        message.put("event", event);
        message.put("type", "broadcast");
        if (id != null) message.putObject("meta").put("id", id);
        limits.countEvents(1 + publishBroadcast(new TopicKey(isPrivate, name), message, null, null));
        return true;
    }

    /** Publishes a user broadcast (single REST endpoint): kind 4 to vsn 2, JSON to vsn 1 unless binary. */
    public boolean broadcastUser(String name, boolean isPrivate, UserBroadcast broadcast, Principal sender) {
        if (isPrivate && !mayBroadcast(name, sender)) return false;
        limits.countEvents(1 + publishBroadcast(new TopicKey(isPrivate, name), null, broadcast, null));
        return true;
    }

    /** Whether {@code sender} may broadcast on the private topic {@code name}; a refusal is counted. */
    public boolean mayBroadcast(String name, Principal sender) {
        if (channelAccess.allowed(ChannelAction.BROADCAST_WRITE, name, sender)) return true;
        metrics.drop(ErrorCode.BROADCAST_WRITE_DENIED);
        return false;
    }

    /**
     * Graceful drain: every joined channel gets {@code system} "Server requested disconnect", queued messages get
     * up to {@code deadlineMs} to reach their clients, then sockets close with 1012 and change capture stops
     * (Debezium flushes its offsets on close).
     */
    public void close(long deadlineMs) {
        // From here on nothing new is accepted: it could not be delivered nor kept for resume.
        closing = true;
        // Stop the change feed first: what it has not handed out stays in the slot for the next start.
        if (cdc != null) cdc.stopFeed();
        for (RealtimeSession s : sessions) s.announceDisconnect();
        long end = System.currentTimeMillis() + deadlineMs;
        while (System.currentTimeMillis() < end && sessions.stream().anyMatch(s -> s.queueDepth() > 0)) {
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
        for (RealtimeSession s : sessions) s.close(1012, "service restart");
        scheduler.shutdownNow();
        if (cdc != null) cdc.close();
        plugins.close(config.pluginsCloseDeadlineMs());
        if (replayStore != null) replayStore.close();
        if (database != null) database.close();
        if (embeddedDatabase != null) {
            try {
                embeddedDatabase.close();
            } catch (Exception e) {
                LOG.warn("error stopping the embedded database: {}", e.toString());
            }
        }
    }

    // ---- admin --------------------------------------------------------------------------------------------------

    private final ChannelActivity<TopicKey> activity =
            new ChannelActivity<>(System::currentTimeMillis, k -> broker.subscribers(k) > 0);
    private volatile dev.herald.runtime.admin.AdminAccess adminAccess =
            dev.herald.runtime.admin.AdminAccess.disabled("the admin API is not set up for this engine");
    private volatile dev.herald.runtime.admin.LimitStore limitStore;

    private final dev.herald.runtime.admin.LoginThrottle loginThrottle;

    /** Slows down admin password guessing (per address and overall). */
    public dev.herald.runtime.admin.LoginThrottle loginThrottle() { return loginThrottle; }

    /** Per-topic activity (rates, latency, drops) for the admin API. */
    public ChannelActivity<TopicKey> activity() { return activity; }

    /** Who may use the admin API. */
    public dev.herald.runtime.admin.AdminAccess adminAccess() { return adminAccess; }

    /** Where limit changes are kept and audited (set by {@link EngineBootstrap}). */
    public dev.herald.runtime.admin.LimitStore limitStore() { return limitStore; }

    void admin(dev.herald.runtime.admin.AdminAccess access, dev.herald.runtime.admin.LimitStore store) {
        this.adminAccess = access;
        this.limitStore = store;
    }

    /** The open sessions at this moment. */
    public List<RealtimeSession> sessions() { return List.copyOf(sessions); }

    /** The open session with this connection id, or null. */
    public RealtimeSession session(String id) {
        for (RealtimeSession s : sessions) if (s.id().equals(id)) return s;
        return null;
    }

    /** Number of presence keys tracked on the topic. */
    public int presenceMembers(TopicKey key) {
        PresenceTracker t = presence.get(key);
        return t == null ? 0 : t.state().size();
    }
}
