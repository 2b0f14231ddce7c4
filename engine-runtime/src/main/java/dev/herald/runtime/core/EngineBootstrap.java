package dev.herald.runtime.core;

import dev.herald.runtime.auth.SecretStore;
import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.plugin.PluginHost;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way to build an {@link Engine}, used by the standalone launcher and the WAR alike; they differ only in
 * how they host the HTTP and WebSocket endpoints.
 */
public final class EngineBootstrap {

    /** Where the engine runs, which decides what a missing setting may default to. */
    public enum Hosting {
        /** The standalone server: may generate a development secret when bound to loopback. */
        STANDALONE,
        /** Inside an application server: every secret must be configured. */
        CONTAINER
    }

    private EngineBootstrap() {
    }

    public static Engine start(HeraldConfig config, Hosting hosting) {
        return start(config, hosting, PluginHost.discover(config));
    }

    /** Starts an engine with the given plugins (tests and embedders; {@link #start(HeraldConfig, Hosting)} discovers them). */
    public static Engine start(HeraldConfig config, Hosting hosting, PluginHost plugins) {
        List<String> notes = new ArrayList<>();
        String secret = config.jwtSecret();
        String env = HeraldConfig.envName(HeraldConfig.JWT_SECRET);
        if (secret == null) {
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
        dev.herald.runtime.admin.AdminAccess adminAccess = dev.herald.runtime.admin.AdminSetup.access(config, hosting == Hosting.CONTAINER, notes);
        plugins.init();
        Database database = null;
        AutoCloseable embedded = null;
        if (config.cdcEnabled() || plugins.needsDatabase()) {
            if (config.dbUrl() == null) {
                if (hosting == Hosting.CONTAINER) {
                    plugins.close(config.pluginsCloseDeadlineMs());
                    throw new ConfigException(HeraldConfig.envName(HeraldConfig.DB_URL) + " (" + HeraldConfig.DB_URL
                            + ") must be set when Herald runs inside an application server (there is no embedded PostgreSQL there)");
                }
                EmbeddedDefault.Started started = EmbeddedDefault.start(config);
                database = started.database();
                embedded = started.closer();
                notes.add("Embedded PostgreSQL (data in " + config.dataDir().resolve("postgres") + "); connect with: " + started.psql());
            } else {
                database = new Database(config.dbUrl(), config.dbUser(), config.dbPassword());
            }
        }
        Engine engine;
        try {
            if (database != null && plugins.needsDatabase()) {
                // Herald's schema first (plugin histories live in it), then each plugin's tables.
                database.migrate();
                plugins.migrate(database.dataSource());
            }
            engine = new Engine(config, secret, notes, database, embedded, plugins);
        } catch (RuntimeException e) {
            plugins.close(config.pluginsCloseDeadlineMs());
            if (database != null) database.close();
            closeQuietly(embedded);
            if (e instanceof dev.herald.runtime.policy.PolicyFileException) {
                throw new ConfigException("Invalid value for " + HeraldConfig.envName(HeraldConfig.POLICY_FILE) + ": " + e.getMessage());
            }
            throw e;
        }
        try {
            engine.startCdc();
        } catch (Exception e) {
            engine.close();
            throw new ConfigException("Cannot start change capture: " + e.getMessage());
        }
        try {
            engine.admin(adminAccess, dev.herald.runtime.admin.AdminSetup.limitStore(engine));
            if (config.demo()) dev.herald.runtime.admin.DemoActivity.start(engine, secret);
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
        return engine;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing; the configuration error is what matters
        }
    }

    /** Kept apart so application servers never load the embedded-database classes (not in the WAR). */
    private static final class EmbeddedDefault {
        record Started(Database database, AutoCloseable closer, String psql) {
        }

        static Started start(HeraldConfig config) {
            dev.herald.runtime.db.EmbeddedDatabase pg = dev.herald.runtime.db.EmbeddedDatabase.start(
                    config.dataDir().resolve("postgres"), config.dbEmbeddedPort());
            return new Started(new Database(pg.jdbcUrl(), dev.herald.runtime.db.EmbeddedDatabase.USER,
                    dev.herald.runtime.db.EmbeddedDatabase.PASSWORD), pg, pg.psqlHint());
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
