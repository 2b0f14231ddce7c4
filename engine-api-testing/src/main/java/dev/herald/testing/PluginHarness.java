package dev.herald.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.herald.api.plugin.Plugin;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.RowChange;
import dev.herald.api.plugin.SocketEndpoint;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.auth.JwtVerifier;
import dev.herald.runtime.cdc.ChangeEvent;
import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.db.EmbeddedDatabase;
import dev.herald.runtime.plugin.EnginePluginContext;
import dev.herald.runtime.plugin.PluginHost;
import dev.herald.runtime.plugin.PluginTables;
import dev.herald.runtime.policy.Principals;
import dev.herald.runtime.policy.RowAuthorizer;
import dev.herald.runtime.protocol.Json;
import jakarta.ws.rs.WebApplicationException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Starts a plugin for a unit test the way Herald's boot does, without a server: its settings are checked against its
 * {@link dev.herald.api.plugin.ConfigKey}s by Herald's own code, its migrations run on a throwaway PostgreSQL
 * ({@link TestPostgres}, a fresh database per harness), its published tables must be guarded (a row policy or
 * row-level security, as the boot requires), and it gets a real {@link PluginContext} whose broadcasts are
 * recorded instead of sent. Then a test calls the plugin's REST resource as a given caller, feeds its hooks row
 * changes, and reads what it broadcast and the state it reports.
 *
 * <pre>{@code
 * try (PluginHarness h = PluginHarness.of(new NotesPlugin()).setting("max-length", "100").start()) {
 *     NotesApi api = h.rest(PluginHarness.user("alice"), NotesApi.class);
 *     api.create(new NewNote("room-1", "hi"));
 *     assertEquals("note_created", h.broadcasts().get(0).event());
 * }
 * }</pre>
 *
 * <p>Threading: build and start from one thread. Afterwards the harness's methods may be called from any thread, as
 * the plugin's own may be; {@link #broadcasts()} sees every broadcast published before it is called.
 */
public final class PluginHarness implements AutoCloseable {
    private static final byte[] SECRET = secret();

    private final Plugin plugin;
    private final PluginHost host;
    private final Database database;
    private final PluginContext context;
    private final List<RecordedBroadcast> broadcasts;
    private final Map<String, Map<String, List<Map<String, Object>>>> presence;
    private final AtomicLong changes = new AtomicLong();

    private PluginHarness(Plugin plugin, PluginHost host, Database database, PluginContext context, List<RecordedBroadcast> broadcasts,
                          Map<String, Map<String, List<Map<String, Object>>>> presence) {
        this.plugin = plugin;
        this.host = host;
        this.database = database;
        this.context = context;
        this.broadcasts = broadcasts;
        this.presence = presence;
    }

    /** A harness for {@code plugin}; call {@link Builder#start()} to start it. */
    public static Builder of(Plugin plugin) {
        return new Builder(plugin);
    }

    /** A signed-in user: role {@code authenticated}, subject {@code subject}. */
    public static Principal user(String subject) {
        return new Principal("authenticated", subject, Map.of("role", "authenticated", "sub", subject));
    }

    /** The anon key's caller: role {@code anon}, no subject. */
    public static Principal anon() {
        return new Principal("anon", null, Map.of("role", "anon"));
    }

    /** The service role: role {@code service_role}, no subject. */
    public static Principal serviceRole() {
        return new Principal("service_role", null, Map.of("role", "service_role"));
    }

    /** Collects the plugin under test, its settings and the plugins it depends on. */
    public static final class Builder {
        private final Plugin plugin;
        private final List<Plugin> others = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private boolean database;

        private Builder(Plugin plugin) {
            this.plugin = plugin;
        }

        /**
         * A configuration value of the plugin under test, e.g. {@code setting("api-key", "sk-test")} for
         * {@code herald.plugins.<id>.api-key}. Checked when the harness starts, as at boot.
         */
        public Builder setting(String key, String value) {
            return setting(plugin.id(), key, value);
        }

        /** A configuration value of another plugin started with {@link #with}. */
        public Builder setting(String pluginId, String key, String value) {
            env.put(HeraldConfig.envName(HeraldConfig.PLUGINS_PREFIX + pluginId + "." + key), value);
            return this;
        }

        /** Starts {@code other} too, in dependency order (e.g. a plugin whose published service this one uses). */
        public Builder with(Plugin other) {
            others.add(other);
            return this;
        }

        /**
         * Gives the plugins a database even when none owns tables (Herald always has one on its embedded default).
         * Plugins that own tables or use JPA get one anyway.
         */
        public Builder withDatabase() {
            database = true;
            return this;
        }

        /**
         * Initialises, migrates and starts the plugins as Herald's boot does.
         *
         * @throws IllegalStateException with the message Herald's boot would stop with (a bad setting, a failing
         *                               migration, an exception from {@code init} or {@code start})
         */
        public PluginHarness start() {
            List<Plugin> all = new ArrayList<>(others);
            all.add(plugin);
            List<RecordedBroadcast> sent = new CopyOnWriteArrayList<>();
            Map<String, Map<String, List<Map<String, Object>>>> presence = new ConcurrentHashMap<>();
            PluginHost host = null;
            Database db = null;
            try {
                host = PluginHost.of(HeraldConfig.load(new HashMap<>(env), new Properties()), all);
                host.init();
                if (database || host.needsDatabase()) {
                    db = new Database(TestPostgres.newDatabase(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
                    db.migrate();
                    host.migrate(db.dataSource());
                }
                Map<String, PluginContext> contexts = new HashMap<>();
                Function<String, PluginContext> factory = EnginePluginContext.factory(host, new RecordingEngine(host, db, sent, presence));
                host.start(id -> contexts.computeIfAbsent(id, factory));
                // As the boot does with change capture on (its default): a published table nobody guards is refused.
                if (db != null) PluginTables.requireGuarded(host.publishedTables(), new RowAuthorizer(host.rowPolicies()), db.dataSource());
                return new PluginHarness(plugin, host, db, contexts.get(plugin.id()), sent, presence);
            } catch (ConfigException e) {
                close(host, db);
                throw new IllegalStateException(e.getMessage(), e);
            } catch (RuntimeException e) {
                close(host, db);
                throw e;
            }
        }
    }

    /** A piece of test code that calls a REST resource method. */
    @FunctionalInterface
    public interface Call {
        void call() throws Exception;
    }

    /**
     * How a REST resource method refused a request: the status and body of the {@link WebApplicationException} it
     * threw, as the JAX-RS runtime would send them (the body as the method built it, e.g. a map of {@code error} and
     * {@code message}).
     */
    public record Refusal(int status, Object body) {
        /** The refusal Herald's plugins send: {@code {"error": <code>, "message": <text>}}. */
        public static Refusal of(int status, String error, String message) {
            return new Refusal(status, Map.of("error", error, "message", message));
        }
    }

    /**
     * Runs {@code call}, which must be refused; {@link AssertionError} when it returns, or throws anything but a
     * {@link WebApplicationException}.
     */
    public static Refusal refusal(Call call) {
        try {
            call.call();
        } catch (WebApplicationException e) {
            return new Refusal(e.getResponse().getStatus(), e.getResponse().getEntity());
        } catch (Exception e) {
            throw new AssertionError("expected a refusal (WebApplicationException), got " + e, e);
        }
        throw new AssertionError("expected a refusal (WebApplicationException), the call went through");
    }

    /** The single number {@code sql} selects from the plugin's database, e.g. {@code SELECT count(*) FROM notes WHERE owner = ?}. */
    public long count(String sql, Object... parameters) {
        try (Connection c = dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) ps.setObject(i + 1, parameters[i]);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) throw new AssertionError("no row from " + sql);
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** The plugin's context, as the plugin got it in {@code start}. */
    public PluginContext context() {
        return context;
    }

    /** The plugin's database (its migrations applied); {@link IllegalStateException} when it has none. */
    public DataSource dataSource() {
        if (database == null) throw new IllegalStateException("plugin " + plugin.id() + " has no database (see Builder.withDatabase)");
        return database.dataSource();
    }

    /**
     * The plugin's REST resource for one request of {@code caller}, as Herald hands it over after verifying the
     * caller's token; call its methods as the JAX-RS runtime would.
     */
    public <T> T rest(Principal caller, Class<T> type) {
        return type.cast(host.restResource(plugin.id(), caller));
    }

    /** The plugin's WebSocket endpoints. */
    public List<SocketEndpoint> sockets() {
        return host.sockets().stream().filter(s -> s.pluginId().equals(plugin.id())).map(PluginHost.Socket::endpoint).toList();
    }

    /**
     * Runs the hooks of {@code change}'s table as the change feed does after fanning a committed change out (on this
     * thread). A hook's exception is logged and counted, not thrown, as in Herald.
     */
    public void change(RowChange change) {
        long n = changes.incrementAndGet();
        host.onChange(new ChangeEvent(change.schema(), change.table(), ChangeEvent.Type.valueOf(change.type().name()),
                change.commitTime() == null ? Instant.now() : change.commitTime(), new ChangeEvent.StreamPosition(n, n),
                change.type() == RowChange.Type.DELETE ? Map.of() : change.record(), change.oldRecord(), 0));
    }

    /** What the plugin reports to the admin console now, or null when it does not implement ReportsState. */
    public PluginState state() {
        return state(plugin.id());
    }

    /** What plugin {@code pluginId} (the one under test or one started {@linkplain Builder#with with} it) reports now. */
    public PluginState state(String pluginId) {
        return host.plugins().stream().filter(i -> i.id().equals(pluginId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no plugin '" + pluginId + "' in this harness")).state();
    }

    /**
     * Closes the plugins as Herald's stop does (reverse order, bounded) but keeps the database open, so a test can
     * check what a plugin writes when it closes (e.g. flushed buffers). {@link #close()} then closes the database.
     */
    public void stopPlugins() {
        host.close(5_000);
    }

    /** Every broadcast the plugins published since start (or the last {@link #clearBroadcasts()}), in publish order. */
    public List<RecordedBroadcast> broadcasts() {
        return List.copyOf(broadcasts);
    }

    /** Forgets the broadcasts recorded so far. */
    public void clearBroadcasts() {
        broadcasts.clear();
    }

    /** What {@link PluginContext#presence} returns for that channel from now on (by default nobody). */
    public void presence(String topic, boolean privateChannel, Map<String, List<Map<String, Object>>> state) {
        presence.put((privateChannel ? "private:" : "public:") + topic, Map.copyOf(state));
    }

    /**
     * A JWT for {@code who} (valid for an hour) that {@link PluginContext#verify} accepts, e.g. for a plugin that
     * checks a token sent inside a WebSocket message.
     */
    public String token(Principal who) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder();
        who.claims().forEach(claims::claim);
        claims.claim("role", who.role());
        if (who.subject() != null) claims.subject(who.subject());
        claims.expirationTime(Date.from(Instant.now().plusSeconds(3600)));
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
            jwt.sign(new MACSigner(SECRET));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a test token: " + e.getMessage(), e);
        }
    }

    /** Closes the plugins as Herald's stop does (reverse order, bounded), then the database pool. */
    @Override
    public void close() {
        close(host, database);
    }

    private static void close(PluginHost host, Database db) {
        if (host != null) host.close(5_000);
        if (db != null) db.close();
    }

    private static byte[] secret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
    }

    /** The engine side of the contexts: broadcasts recorded, presence as the test set it, tokens signed by {@link #token}. */
    private record RecordingEngine(PluginHost host, Database database, List<RecordedBroadcast> sent,
                                   Map<String, Map<String, List<Map<String, Object>>>> presence) implements EnginePluginContext.Engineside {
        private static final JwtVerifier VERIFIER = new JwtVerifier(SECRET, 30, Clock.systemUTC());

        @Override
        public void broadcast(String topic, boolean privateChannel, String event, JsonNode payload) {
            sent.add(new RecordedBroadcast(topic, privateChannel, event, Json.MAPPER.convertValue(payload, Object.class), payload.toString()));
        }

        @Override
        public Map<String, List<Map<String, Object>>> presence(String topic, boolean privateChannel) {
            return presence.getOrDefault((privateChannel ? "private:" : "public:") + topic, Map.of());
        }

        @Override
        public Principal verify(String jwt) {
            return Principals.verifiedForPlugin(VERIFIER, jwt);
        }

        @Override
        public DataSource dataSource() {
            return database == null ? null : database.dataSource();
        }

        @Override
        public boolean pluginEnabled(String id) {
            return host.isEnabled(id);
        }
    }
}
