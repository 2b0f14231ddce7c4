package dev.herald.runtime.boot;

import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.RowPolicy;
import dev.herald.runtime.admin.AdminAccess;
import dev.herald.runtime.admin.AdminConsole;
import dev.herald.runtime.admin.AdminSetup;
import dev.herald.runtime.admin.LimitStore;
import dev.herald.runtime.admin.LoginThrottle;
import dev.herald.runtime.auth.AuthSettings;
import dev.herald.runtime.auth.JwtVerifier;
import dev.herald.runtime.auth.SecretStore;
import dev.herald.runtime.cdc.CdcService;
import dev.herald.runtime.cdc.DebeziumCdcSource;
import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.core.Admission;
import dev.herald.runtime.core.Broadcasts;
import dev.herald.runtime.core.Broker;
import dev.herald.runtime.core.ChannelAccess;
import dev.herald.runtime.core.InMemoryBroker;
import dev.herald.runtime.core.PgBroadcastStore;
import dev.herald.runtime.core.PresenceRegistry;
import dev.herald.runtime.core.SessionContext;
import dev.herald.runtime.core.Sessions;
import dev.herald.runtime.core.TopicKey;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.db.EmbeddedDatabase;
import dev.herald.runtime.limits.LimitSettings;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.metrics.ChannelActivity;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.plugin.EnginePluginContext;
import dev.herald.runtime.plugin.PluginHost;
import dev.herald.runtime.plugin.PluginTables;
import dev.herald.runtime.policy.ChannelAuthorizer;
import dev.herald.runtime.policy.PolicyFile;
import dev.herald.runtime.policy.PolicyFileException;
import dev.herald.runtime.policy.RowAuthorizer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The one way to build and start an {@link Engine}, used by the standalone launcher and the WAR alike; they differ
 * only in how they host the HTTP and WebSocket endpoints. {@link #start} is the boot sequence, one step per line;
 * every step that does I/O is here, none in a constructor. A failing step closes what the earlier ones opened, and
 * the engine is {@link EngineState#RUNNING} only when every step has succeeded.
 */
public final class EngineBootstrap {

    /** Where the engine runs, which decides what a missing setting may default to. */
    public enum Hosting {
        /** The standalone server: may generate a development secret when bound to loopback. */
        STANDALONE,
        /** Inside an application server: every secret must be configured. */
        CONTAINER
    }

    private final HeraldConfig config;
    private final Hosting hosting;
    private final PluginHost plugins;
    private final List<String> notes = new ArrayList<>();
    private final HeraldMetrics metrics = new HeraldMetrics().operations();
    private String secret;
    private AdminAccess adminAccess;
    private Database database;
    private AutoCloseable embedded;
    private PolicyFile policies;
    private PgBroadcastStore replayStore;
    private Engine engine;

    private EngineBootstrap(HeraldConfig config, Hosting hosting, PluginHost plugins) {
        this.config = config;
        this.hosting = hosting;
        this.plugins = plugins;
    }

    public static Engine start(HeraldConfig config, Hosting hosting) {
        return start(config, hosting, PluginHost.discover(config));
    }

    /** Starts an engine with the given plugins (tests and embedders; {@link #start(HeraldConfig, Hosting)} discovers them). */
    public static Engine start(HeraldConfig config, Hosting hosting, PluginHost plugins) {
        return new EngineBootstrap(config, hosting, plugins).run();
    }

    private Engine run() {
        try {
            resolveSecret();
            adminAccess = AdminSetup.access(config, hosting == Hosting.CONTAINER, notes);
            plugins.init();
            openDatabase();
            migrate();
            loadPolicies();
            engine = wire();
            guardPluginTables();
            startChangeCapture();
            attachAdmin();
            engine.startTimers();
            if (config.demo()) DemoActivity.start(engine, secret);
            engine.state(EngineState.RUNNING);
            return engine;
        } catch (RuntimeException e) {
            closeAfterFailure();
            throw e;
        }
    }

    /** The JWT secret: configured, or (standalone on loopback only) a development secret with minted keys. */
    private void resolveSecret() {
        secret = config.jwtSecret();
        if (secret != null) return;
        String env = HeraldConfig.envName(HeraldConfig.JWT_SECRET);
        if (hosting == Hosting.CONTAINER) {
            throw new ConfigException(env + " (" + HeraldConfig.JWT_SECRET + ") must be set when Herald runs inside an application server");
        }
        if (!isLoopback(config.httpHost())) {
            throw new ConfigException(env + " must be set when binding to the non-loopback address " + config.httpHost()
                    + " (a generated development secret is only used on 127.0.0.1/localhost)");
        }
        secret = SecretStore.loadOrCreate(config.dataDir());
        // Minted once and stored: every start prints the same keys.
        SecretStore.DevelopmentKeys keys = SecretStore.loadOrMintKeys(config.dataDir(), secret);
        notes.add("No " + env + " configured: using the development secret in " + config.dataDir().resolve("jwt-secret")
                + ". Keys for your clients (stored in " + config.dataDir().resolve(SecretStore.KEYS_FILE_NAME) + "):");
        notes.add("anon key: " + keys.anon());
        notes.add("service_role key: " + keys.serviceRole());
    }

    /** Herald's database when change capture or a plugin needs one: configured, or the embedded default. */
    private void openDatabase() {
        if (!config.cdcEnabled() && !plugins.needsDatabase()) return;
        if (config.dbUrl() != null) {
            database = new Database(config.dbUrl(), config.dbUser(), config.dbPassword());
            return;
        }
        if (hosting == Hosting.CONTAINER) {
            throw new ConfigException(HeraldConfig.envName(HeraldConfig.DB_URL) + " (" + HeraldConfig.DB_URL
                    + ") must be set when Herald runs inside an application server (there is no embedded PostgreSQL there)");
        }
        EmbeddedDefault.Started started = EmbeddedDefault.start(config);
        database = started.database();
        embedded = started.closer();
        notes.add("Embedded PostgreSQL (data in " + config.dataDir().resolve("postgres") + "); connect with: " + started.psql());
    }

    /** Herald's schema first (plugin histories and the replay store live in it), then each plugin's tables. */
    private void migrate() {
        if (database == null) return;
        boolean durableReplay = config.replayStore().equals("postgres") && config.replayMaxMessages() > 0;
        if (plugins.needsDatabase() || durableReplay) database.migrate();
        if (plugins.needsDatabase()) plugins.migrate(database.dataSource());
        if (durableReplay) {
            try {
                replayStore = PgBroadcastStore.open(database.dataSource(), config.replayMaxAgeMs(), config.replayMaxMessages());
            } catch (SQLException e) {
                throw new IllegalStateException("cannot open the replay store in the herald schema: " + e.getMessage(), e);
            }
        }
    }

    private void loadPolicies() {
        try {
            policies = config.policyFile() == null ? PolicyFile.defaults() : PolicyFile.load(config.policyFile());
        } catch (PolicyFileException e) {
            throw new ConfigException("Invalid value for " + HeraldConfig.envName(HeraldConfig.POLICY_FILE) + ": " + e.getMessage());
        }
    }

    /**
     * Builds the components and starts the plugins. Plugins start before the authorisers are built (their policies
     * join the policy file's) and before the message path exists, which their bridge is attached to afterwards.
     */
    private Engine wire() {
        JwtVerifier verifier = new JwtVerifier(new AuthSettings(secret.getBytes(StandardCharsets.UTF_8), config.jwtJwksUrl(),
                config.jwtJwksFile(), config.jwtClockSkewSeconds(), config.jwtAudience(), config.jwtIssuer(), Clock.systemUTC()));
        Limits limits = new Limits(LimitSettings.fromConfig(config), System::currentTimeMillis);
        Engine[] self = new Engine[1];
        Admission admission = new Admission(config, metrics, limits, verifier, () -> self[0] != null && self[0].closing());
        PluginBridge bridge = new PluginBridge(metrics, verifier, admission, database, plugins);
        plugins.metrics(metrics);
        plugins.start(EnginePluginContext.factory(plugins, bridge));

        List<ChannelPolicy> channelPolicies = new ArrayList<>(policies.channelPolicies());
        channelPolicies.addAll(plugins.channelPolicies());
        List<RowPolicy> rowPolicies = new ArrayList<>(policies.rowPolicies());
        rowPolicies.addAll(plugins.rowPolicies());
        ChannelAuthorizer channelAuthorizer = new ChannelAuthorizer(channelPolicies);
        ChannelAccess channelAccess = new ChannelAccess(channelAuthorizer);
        RowAuthorizer rowAuthorizer = new RowAuthorizer(rowPolicies);

        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "herald-timers");
            t.setDaemon(true);
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        Broker broker = new InMemoryBroker();
        ChannelActivity<TopicKey> activity = new ChannelActivity<>(System::currentTimeMillis, k -> broker.subscribers(k) > 0);
        String epoch = replayStore != null ? replayStore.epoch()
                : Long.toHexString(System.currentTimeMillis()) + Integer.toHexString(new SecureRandom().nextInt() & 0xFFFF);
        Broadcasts broadcasts = new Broadcasts(config, metrics, limits, broker, channelAccess, activity, replayStore, epoch,
                () -> self[0].closing());
        PresenceRegistry presence = new PresenceRegistry(broker);
        bridge.attach(broadcasts, presence);

        List<String> cdcTables = new ArrayList<>(config.cdcTables());
        for (String t : plugins.publishedTables()) if (!cdcTables.contains(t)) cdcTables.add(t);
        CdcService cdc = database == null || !config.cdcEnabled() ? null : new CdcService(database,
                new DebeziumCdcSource.Settings(database.jdbcUrl(), database.user(), database.password(), config.cdcSlot(),
                        config.cdcPublication(), config.cdcPollIntervalMs(), config.cdcOffsetFlushMs()),
                cdcTables, metrics, rowAuthorizer, config.replayMaxMessages(), config.replayMaxAgeMs(), config.replayChangesMaxBytes(),
                DebeziumCdcSource::new);

        Sessions sessions = new Sessions(config, metrics);
        SessionContext sessionContext = new SessionContext(config, metrics, limits, verifier, channelAccess, plugins.channels(),
                broker, broadcasts, presence, cdc, activity, scheduler, sessions, () -> self[0].closing());
        self[0] = new Engine(new Engine.Parts(config, notes, metrics, limits, verifier, admission, channelAuthorizer,
                rowAuthorizer, broker, activity, broadcasts, presence, sessions, sessionContext, scheduler, database, embedded,
                cdc, plugins, bridge));
        return self[0];
    }

    /** Plugin tables reach subscribers only when published by their plugin, and only when guarded by a row policy. */
    private void guardPluginTables() {
        CdcService cdc = engine.cdc();
        if (cdc == null) return;
        cdc.publications().exclude(plugins.internalTables());
        PluginTables.requireGuarded(plugins.publishedTables(), engine.rowAuthorizer(), database.dataSource());
    }

    /** Prepares the schema and publication, then starts the change feed (table hooks run after each fan-out). */
    private void startChangeCapture() {
        CdcService cdc = engine.cdc();
        if (cdc == null) return;
        if (plugins.hasHooks()) cdc.afterFanOut(plugins::onChange);
        try {
            cdc.start();
        } catch (Exception e) {
            throw new ConfigException("Cannot start change capture: " + e.getMessage());
        }
    }

    /** The admin side: the stored limits applied, the engine-wide gauges, the console's view. */
    private void attachAdmin() {
        LimitStore store = AdminSetup.limitStore(database, engine.limits());
        AdminSetup.gauges(metrics, engine.limits(), engine.sessions(), engine.activity());
        LoginThrottle throttle = new LoginThrottle(config.adminLoginThrottleStepMs(), config.adminLoginThrottleMaxMs(),
                System::currentTimeMillis);
        engine.admin(new AdminConsole(config, metrics, engine.limits(), engine.activity(), engine.sessions(), engine.presence(),
                engine.cdc(), plugins, adminAccess, throttle, store));
    }

    private void closeAfterFailure() {
        if (engine != null) {
            engine.close();
            return;
        }
        plugins.close(config.pluginsCloseDeadlineMs());
        if (replayStore != null) replayStore.close();
        if (database != null) database.close();
        if (embedded != null) {
            try {
                embedded.close();
            } catch (Exception ignored) {
                // already failing; the original error is what matters
            }
        }
    }

    /** Kept apart so application servers never load the embedded-database classes (not in the WAR). */
    private static final class EmbeddedDefault {
        record Started(Database database, AutoCloseable closer, String psql) {
        }

        static Started start(HeraldConfig config) {
            EmbeddedDatabase pg = EmbeddedDatabase.start(config.dataDir().resolve("postgres"), config.dbEmbeddedPort());
            return new Started(new Database(pg.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD), pg, pg.psqlHint());
        }
    }

    static boolean isLoopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) return false;
            }
            return true;
        } catch (UnknownHostException e) {
            throw new ConfigException("Invalid value for HERALD_HTTP_HOST (herald.http.host): cannot resolve '" + host + "'");
        }
    }
}
