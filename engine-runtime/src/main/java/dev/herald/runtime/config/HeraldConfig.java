package dev.herald.runtime.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Herald's settings. Each key {@code herald.a.b-c} can be given, highest precedence first, as the system property
 * {@code herald.a.b-c}, the environment variable {@code HERALD_A_B_C}, or the line {@code herald.a.b-c=...} in the
 * properties file named by {@code herald.config-file} / {@code HERALD_CONFIG_FILE}.
 *
 * <p>Values are validated when loaded, so a bad value stops the start with a message naming the key.
 * Immutable and thread-safe once built.
 */
public final class HeraldConfig {

    public static final String HTTP_HOST = "herald.http.host";
    public static final String HTTP_PORT = "herald.http.port";
    public static final String JWT_SECRET = "herald.jwt.secret";
    public static final String JWT_CLOCK_SKEW_SECONDS = "herald.jwt.clock-skew-seconds";
    public static final String DATA_DIR = "herald.data.dir";
    public static final String DB_URL = "herald.db.url";
    public static final String DB_USER = "herald.db.user";
    public static final String DB_PASSWORD = "herald.db.password";
    public static final String WS_IDLE_TIMEOUT_MS = "herald.ws.idle-timeout-ms";
    public static final String WS_MAX_FRAME_BYTES = "herald.ws.max-frame-bytes";
    public static final String HANDSHAKE_ERROR_DELAY_MS = "herald.handshake.error-delay-ms";
    public static final String MAX_PAYLOAD_KB = "herald.limits.max-payload-kb";
    public static final String OUTBOUND_QUEUE_MESSAGES = "herald.outbound.queue-max-messages";
    public static final String OUTBOUND_QUEUE_BYTES = "herald.outbound.queue-max-bytes";
    public static final String CONFIG_FILE = "herald.config-file";
    public static final String LOG_LIBRARY_LEVEL = "herald.log.library-level";
    /** The values {@link #LOG_LIBRARY_LEVEL} accepts, most verbose last. */
    public static final List<String> LOG_LEVELS = List.of("error", "warn", "info", "debug", "trace");
    public static final String DB_EMBEDDED_PORT = "herald.db.embedded-port";
    public static final String JWT_JWKS_URL = "herald.jwt.jwks-url";
    public static final String JWT_JWKS_FILE = "herald.jwt.jwks-file";
    public static final String JWT_AUDIENCE = "herald.jwt.audience";
    public static final String JWT_ISSUER = "herald.jwt.issuer";
    public static final String JWT_EXPIRY_NOTICE_SECONDS = "herald.jwt.expiry-notice-seconds";
    public static final String JWT_EXPIRY_GRACE_SECONDS = "herald.jwt.expiry-grace-seconds";
    public static final String POLICY_FILE = "herald.policy.file";
    public static final String REPLAY_MAX_MESSAGES = "herald.replay.max-messages";
    public static final String REPLAY_MAX_AGE_MS = "herald.replay.max-age-ms";
    public static final String SHUTDOWN_DEADLINE_MS = "herald.shutdown.deadline-ms";
    public static final String REPLAY_STORE = "herald.replay.store";
    public static final String PRIVATE_ONLY = "herald.private-only";
    public static final String LIMITS_PROFILE = "herald.limits.profile";
    public static final String LIMITS_MAX_CONCURRENT_USERS = "herald.limits.max-concurrent-users";
    public static final String LIMITS_MAX_JOINS_PER_SECOND = "herald.limits.max-joins-per-second";
    public static final String LIMITS_MAX_CHANNELS_PER_CLIENT = "herald.limits.max-channels-per-client";
    public static final String LIMITS_MAX_EVENTS_PER_SECOND = "herald.limits.max-events-per-second";
    public static final String LIMITS_MAX_PRESENCE_EVENTS_PER_SECOND = "herald.limits.max-presence-events-per-second";
    public static final String LIMITS_CLIENT_PRESENCE_MAX_CALLS = "herald.limits.client-presence-max-calls";
    public static final String LIMITS_CLIENT_PRESENCE_WINDOW_MS = "herald.limits.client-presence-window-ms";
    public static final String LIMITS_REST_REQUESTS_PER_SECOND = "herald.limits.rest-requests-per-second";
    public static final String LIMITS_RATE_WINDOW_MS = "herald.limits.rate-window-ms";
    public static final String CDC_ENABLED = "herald.cdc.enabled";
    public static final String CDC_PUBLICATION = "herald.cdc.publication";
    public static final String CDC_SLOT = "herald.cdc.slot";
    public static final String CDC_TABLES = "herald.cdc.tables";
    public static final String CDC_POLL_INTERVAL_MS = "herald.cdc.poll-interval-ms";
    public static final String CDC_OFFSET_FLUSH_MS = "herald.cdc.offset-flush-ms";
    /** Prefix of every plugin key: {@code herald.plugins.<id>.<key>}. */
    public static final String PLUGINS_PREFIX = "herald.plugins.";
    public static final String PLUGINS_DIR = "herald.plugins.dir";
    public static final String PLUGINS_CLOSE_DEADLINE_MS = "herald.plugins.close-deadline-ms";
    public static final String ADMIN_PASSWORD = "herald.admin.password";
    public static final String DEMO = "herald.demo";
    public static final String REPLAY_MAX_BYTES = "herald.replay.max-bytes";
    public static final String REPLAY_TOPIC_MAX_BYTES = "herald.replay.topic-max-bytes";
    public static final String REPLAY_CHANGES_MAX_BYTES = "herald.replay.changes-max-bytes";
    public static final String OUTBOUND_MAX_TOTAL_BYTES = "herald.outbound.max-total-bytes";
    public static final String ADMIN_LOGIN_THROTTLE_STEP_MS = "herald.admin.login-throttle-step-ms";
    public static final String ADMIN_LOGIN_THROTTLE_MAX_MS = "herald.admin.login-throttle-max-ms";

    private final String httpHost;
    private final int httpPort;
    private final String jwtSecret;
    private final long jwtClockSkewSeconds;
    private final Path dataDir;
    private final String dbUrl;
    private final String dbUser;
    private final String dbPassword;
    private final long wsIdleTimeoutMs;
    private final int wsMaxFrameBytes;
    private final long handshakeErrorDelayMs;
    private final int maxPayloadKb;
    private final int outboundQueueMessages;
    private final long outboundQueueBytes;
    private final long outboundMaxTotalBytes;
    private final long replayMaxBytes;
    private final long replayTopicMaxBytes;
    private final long replayChangesMaxBytes;
    private final long adminLoginThrottleStepMs;
    private final long adminLoginThrottleMaxMs;
    private final int dbEmbeddedPort;
    private final String jwtJwksUrl;
    private final Path jwtJwksFile;
    private final String jwtAudience;
    private final String jwtIssuer;
    private final long jwtExpiryNoticeSeconds;
    private final long jwtExpiryGraceSeconds;
    private final Path policyFile;
    private final int replayMaxMessages;
    private final long replayMaxAgeMs;
    private final long shutdownDeadlineMs;
    private final String logLibraryLevel;
    private final String replayStore;
    private final boolean privateOnly;
    private final String limitsProfile;
    private final Map<String, Long> limitOverrides;
    private final boolean cdcEnabled;
    private final String cdcPublication;
    private final String cdcSlot;
    private final List<String> cdcTables;
    private final long cdcPollIntervalMs;
    private final long cdcOffsetFlushMs;
    private final Path pluginsDir;
    private final long pluginsCloseDeadlineMs;
    private final Map<String, PluginEntry> pluginEntries;
    private final String adminPassword;
    private final boolean demo;

    /**
     * One configured value under {@code herald.plugins.}: where it came from (for messages) and its text.
     *
     * @param shownAs the key as the operator wrote it, e.g. {@code HERALD_PLUGINS_NOTES_MAX_LENGTH}
     * @param value the value
     */
    public record PluginEntry(String shownAs, String value) {
    }

    private HeraldConfig(Source s) {
        String dir = s.string(PLUGINS_DIR, null);
        pluginsDir = dir == null ? null : Path.of(dir);
        pluginsCloseDeadlineMs = s.integer(PLUGINS_CLOSE_DEADLINE_MS, 5_000, 0, 600_000);
        pluginEntries = s.pluginEntries();
        httpHost = s.string(HTTP_HOST, "127.0.0.1");
        httpPort = (int) s.integer(HTTP_PORT, 4000, 0, 65535);
        jwtSecret = s.string(JWT_SECRET, null);
        if (jwtSecret != null && jwtSecret.getBytes(StandardCharsets.UTF_8).length < 32) {
            throw new ConfigException(s.describe(JWT_SECRET) + " must be at least 32 bytes long (HS256 needs a 256-bit key)");
        }
        jwtClockSkewSeconds = s.integer(JWT_CLOCK_SKEW_SECONDS, 0, 0, 3600);
        dataDir = Path.of(s.string(DATA_DIR, "herald-data"));
        dbUrl = s.string(DB_URL, null);
        if (dbUrl != null && !dbUrl.startsWith("jdbc:postgresql:")) {
            throw new ConfigException(s.describe(DB_URL) + ": '" + dbUrl + "' is not a PostgreSQL JDBC URL (expected jdbc:postgresql://host:port/db)");
        }
        dbUser = s.string(DB_USER, null);
        dbPassword = s.string(DB_PASSWORD, null);
        wsIdleTimeoutMs = s.integer(WS_IDLE_TIMEOUT_MS, 60_000, 1_000, 3_600_000);
        wsMaxFrameBytes = (int) s.integer(WS_MAX_FRAME_BYTES, 5_000_000, 1_024, 64_000_000);
        handshakeErrorDelayMs = s.integer(HANDSHAKE_ERROR_DELAY_MS, 2_000, 0, 10_000);
        maxPayloadKb = (int) s.integer(MAX_PAYLOAD_KB, 3_000, 1, 60_000);
        outboundQueueMessages = (int) s.integer(OUTBOUND_QUEUE_MESSAGES, 4_096, 16, 1_000_000);
        outboundQueueBytes = s.integer(OUTBOUND_QUEUE_BYTES, defaultQueueBytes(), 64 * 1024, 4L * 1024 * 1024 * 1024);
        outboundMaxTotalBytes = s.integer(OUTBOUND_MAX_TOTAL_BYTES, maxHeap() / 8, 1024 * 1024, Long.MAX_VALUE);
        dbEmbeddedPort = (int) s.integer(DB_EMBEDDED_PORT, 54322, 0, 65535);
        jwtJwksUrl = s.string(JWT_JWKS_URL, null);
        if (jwtJwksUrl != null && !jwtJwksUrl.startsWith("http://") && !jwtJwksUrl.startsWith("https://")) {
            throw new ConfigException(s.describe(JWT_JWKS_URL) + ": '" + jwtJwksUrl + "' is not an http(s) URL");
        }
        String jwks = s.string(JWT_JWKS_FILE, null);
        jwtJwksFile = jwks == null ? null : Path.of(jwks);
        if (jwtJwksFile != null && !Files.isRegularFile(jwtJwksFile)) {
            throw new ConfigException(s.describe(JWT_JWKS_FILE) + ": file '" + jwks + "' does not exist");
        }
        jwtAudience = s.string(JWT_AUDIENCE, null);
        jwtIssuer = s.string(JWT_ISSUER, null);
        jwtExpiryNoticeSeconds = s.integer(JWT_EXPIRY_NOTICE_SECONDS, 60, 0, 86_400);
        jwtExpiryGraceSeconds = s.integer(JWT_EXPIRY_GRACE_SECONDS, 0, 0, 86_400);
        String policies = s.string(POLICY_FILE, null);
        policyFile = policies == null ? null : Path.of(policies);
        if (policyFile != null && !Files.isRegularFile(policyFile)) {
            throw new ConfigException(s.describe(POLICY_FILE) + ": file '" + policies + "' does not exist");
        }
        privateOnly = s.bool(PRIVATE_ONLY, false);
        replayMaxMessages = (int) s.integer(REPLAY_MAX_MESSAGES, 10_000, 0, 10_000_000);
        replayMaxAgeMs = s.integer(REPLAY_MAX_AGE_MS, 600_000, 0, 86_400_000);
        replayMaxBytes = s.integer(REPLAY_MAX_BYTES, maxHeap() / 16, 64 * 1024, Long.MAX_VALUE);
        replayTopicMaxBytes = Math.min(replayMaxBytes, s.integer(REPLAY_TOPIC_MAX_BYTES, maxHeap() / 64, 64 * 1024, Long.MAX_VALUE));
        adminLoginThrottleStepMs = s.integer(ADMIN_LOGIN_THROTTLE_STEP_MS, 100, 0, 60_000);
        adminLoginThrottleMaxMs = s.integer(ADMIN_LOGIN_THROTTLE_MAX_MS, 10_000, 1, 600_000);
        replayChangesMaxBytes = s.integer(REPLAY_CHANGES_MAX_BYTES, maxHeap() / 32, 64 * 1024, Long.MAX_VALUE);
        shutdownDeadlineMs = s.integer(SHUTDOWN_DEADLINE_MS, 5_000, 0, 600_000);
        logLibraryLevel = s.string(LOG_LIBRARY_LEVEL, "warn").toLowerCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(logLibraryLevel)) {
            throw new ConfigException(s.describe(LOG_LIBRARY_LEVEL) + ": '" + logLibraryLevel + "' is not one of " + String.join(", ", LOG_LEVELS));
        }
        replayStore = s.string(REPLAY_STORE, "memory");
        if (!replayStore.equals("memory") && !replayStore.equals("postgres")) {
            throw new ConfigException(s.describe(REPLAY_STORE) + ": '" + replayStore + "' is not memory or postgres");
        }
        limitsProfile = s.string(LIMITS_PROFILE, "herald");
        if (!limitsProfile.equals("herald") && !limitsProfile.equals("supabase")) {
            throw new ConfigException(s.describe(LIMITS_PROFILE) + ": '" + limitsProfile + "' is not herald or supabase");
        }
        Map<String, Long> overrides = new LinkedHashMap<>();
        for (String key : new String[] {LIMITS_MAX_CONCURRENT_USERS, LIMITS_MAX_JOINS_PER_SECOND, LIMITS_MAX_CHANNELS_PER_CLIENT,
                LIMITS_MAX_EVENTS_PER_SECOND, LIMITS_MAX_PRESENCE_EVENTS_PER_SECOND, LIMITS_CLIENT_PRESENCE_MAX_CALLS,
                LIMITS_CLIENT_PRESENCE_WINDOW_MS, LIMITS_REST_REQUESTS_PER_SECOND, LIMITS_RATE_WINDOW_MS}) {
            if (s.raw(key) != null) overrides.put(key, s.integer(key, 0, 0, Integer.MAX_VALUE));
        }
        if (s.raw(MAX_PAYLOAD_KB) != null) overrides.put(MAX_PAYLOAD_KB, (long) maxPayloadKb);
        if (s.raw(OUTBOUND_QUEUE_MESSAGES) != null) overrides.put(OUTBOUND_QUEUE_MESSAGES, (long) outboundQueueMessages);
        limitOverrides = Collections.unmodifiableMap(overrides);
        cdcEnabled = s.bool(CDC_ENABLED, true);
        cdcPublication = s.identifier(CDC_PUBLICATION, "herald");
        cdcSlot = s.identifier(CDC_SLOT, "herald");
        List<String> tables = new ArrayList<>();
        for (String t : s.string(CDC_TABLES, "public.*").split(",")) {
            String p = t.strip();
            if (p.isEmpty()) continue;
            if (!p.matches("[A-Za-z_][A-Za-z0-9_$]*\\.([A-Za-z_][A-Za-z0-9_$]*|\\*)")) {
                throw new ConfigException(s.describe(CDC_TABLES) + ": '" + p + "' is not schema.table or schema.*");
            }
            tables.add(p);
        }
        cdcTables = List.copyOf(tables);
        cdcPollIntervalMs = s.integer(CDC_POLL_INTERVAL_MS, 10, 1, 10_000);
        cdcOffsetFlushMs = s.integer(CDC_OFFSET_FLUSH_MS, 1_000, 0, 600_000);
        adminPassword = s.string(ADMIN_PASSWORD, null);
        if (adminPassword != null && adminPassword.length() < 12) {
            throw new ConfigException(s.describe(ADMIN_PASSWORD) + " must be at least 12 characters long");
        }
        demo = s.bool(DEMO, false);
    }

    /** Loads from system properties, the environment and the optional properties file. */
    public static HeraldConfig load() {
        return load(System.getenv(), System.getProperties());
    }

    /** Loads from the given environment and system properties (tests pass their own maps). */
    public static HeraldConfig load(Map<String, String> env, Properties sysProps) {
        return new HeraldConfig(new Source(env, sysProps));
    }

    public String httpHost() { return httpHost; }
    public int httpPort() { return httpPort; }
    /** The configured HS256 secret, or {@code null} when none was configured. */
    public String jwtSecret() { return jwtSecret; }
    public long jwtClockSkewSeconds() { return jwtClockSkewSeconds; }
    public Path dataDir() { return dataDir; }
    public String dbUrl() { return dbUrl; }
    public String dbUser() { return dbUser; }
    public String dbPassword() { return dbPassword; }
    public long wsIdleTimeoutMs() { return wsIdleTimeoutMs; }
    public int wsMaxFrameBytes() { return wsMaxFrameBytes; }
    public long handshakeErrorDelayMs() { return handshakeErrorDelayMs; }
    /** Largest broadcast/presence payload in bytes: Supabase's rule of kb × 1000 + 500. */
    public int maxPayloadBytes() { return maxPayloadKb * 1000 + 500; }
    public int outboundQueueMessages() { return outboundQueueMessages; }
    public long outboundQueueBytes() { return outboundQueueBytes; }
    /** Bytes queued for all connections together (each shared frame once); past it the furthest-behind readers go. */
    public long outboundMaxTotalBytes() { return outboundMaxTotalBytes; }
    /** Bytes the broadcast replay windows of all topics keep together (estimated retained size). */
    public long replayMaxBytes() { return replayMaxBytes; }
    /** Bytes one topic's broadcast replay window keeps (never more than {@link #replayMaxBytes()}). */
    public long replayTopicMaxBytes() { return replayTopicMaxBytes; }
    /** Bytes the change log kept for postgres_changes resume holds (estimated retained size). */
    public long replayChangesMaxBytes() { return replayChangesMaxBytes; }

    /** Growth of the delay per failed admin credential beyond the free ones (0 = no throttling). */
    public long adminLoginThrottleStepMs() { return adminLoginThrottleStepMs; }
    /** The longest delay between two failed admin credentials of one address (or overall). */
    public long adminLoginThrottleMaxMs() { return adminLoginThrottleMaxMs; }

    /**
     * The JVM's maximum heap: defaults of the memory bounds are fractions of it, so they fit any -Xmx. The fractions
     * leave room for the collector's own overhead: on G1 an object of half a region or more (1 MB regions at
     * -Xmx512m) takes whole regions, up to twice its size.
     */
    static long maxHeap() {
        long max = Runtime.getRuntime().maxMemory();
        return max == Long.MAX_VALUE ? 4L * 1024 * 1024 * 1024 : max;
    }

    /** A reader may fall 64 MiB behind, or 1/16 of the heap on small heaps. */
    private static long defaultQueueBytes() {
        return Math.max(64 * 1024, Math.min(64L * 1024 * 1024, maxHeap() / 16));
    }

    public int dbEmbeddedPort() { return dbEmbeddedPort; }
    public String jwtJwksUrl() { return jwtJwksUrl; }
    public Path jwtJwksFile() { return jwtJwksFile; }
    public String jwtAudience() { return jwtAudience; }
    public String jwtIssuer() { return jwtIssuer; }
    /** Seconds before a channel token's expiry at which the channel gets a {@code system} notice (0 = none). */
    public long jwtExpiryNoticeSeconds() { return jwtExpiryNoticeSeconds; }
    /** Seconds a joined channel may outlive its token's expiry before it is closed. */
    public long jwtExpiryGraceSeconds() { return jwtExpiryGraceSeconds; }
    public Path policyFile() { return policyFile; }
    public boolean privateOnly() { return privateOnly; }
    /** Messages kept per topic (and changes kept overall) for resume; 0 turns resume off. */
    public int replayMaxMessages() { return replayMaxMessages; }
    public long replayMaxAgeMs() { return replayMaxAgeMs; }
    /** How long a graceful drain waits for queued messages before sockets close. */
    public long shutdownDeadlineMs() { return shutdownDeadlineMs; }
    /** The lowest level logged by the libraries Herald is built on ({@code warn} by default); Herald's own log at info. */
    public String logLibraryLevel() { return logLibraryLevel; }
    /** {@code memory} (default) or {@code postgres}: where broadcasts are kept for resume. */
    public String replayStore() { return replayStore; }
    /** {@code herald} (defaults for one busy server) or {@code supabase} (Supabase's tenant defaults). */
    public String limitsProfile() { return limitsProfile; }
    /** Limit keys set explicitly, overriding the profile. */
    public Map<String, Long> limitOverrides() { return limitOverrides; }
    public boolean cdcEnabled() { return cdcEnabled; }
    public String cdcPublication() { return cdcPublication; }
    public String cdcSlot() { return cdcSlot; }
    /** Tables to publish: {@code schema.table} or {@code schema.*}. */
    public List<String> cdcTables() { return cdcTables; }
    public long cdcPollIntervalMs() { return cdcPollIntervalMs; }
    public long cdcOffsetFlushMs() { return cdcOffsetFlushMs; }

    /** A folder whose {@code *.jar} files are loaded as plugins, or null. */
    public Path pluginsDir() { return pluginsDir; }
    public long pluginsCloseDeadlineMs() { return pluginsCloseDeadlineMs; }
    /** The admin console's password (user {@code admin}), or null when none was configured. */
    public String adminPassword() { return adminPassword; }
    /** Whether the demo activity runs (a few demo channels with broadcasts and presence). */
    public boolean demo() { return demo; }

    /**
     * Every configured value under {@code herald.plugins.} except Herald's own ({@code dir}, {@code close-deadline-ms}),
     * keyed by the environment-variable form of the key (so {@code herald.plugins.a.b-c} and
     * {@code HERALD_PLUGINS_A_B_C} are one key); system properties win over the environment, which wins over the file.
     */
    public Map<String, PluginEntry> pluginEntries() { return pluginEntries; }

    /** The environment variable that carries a key, e.g. {@code HERALD_WS_IDLE_TIMEOUT_MS}. */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static final class Source {
        private final Map<String, String> env;
        private final Properties sysProps;
        private final Map<String, String> file = new HashMap<>();
        private final String fileName;

        Source(Map<String, String> env, Properties sysProps) {
            this.env = env;
            this.sysProps = sysProps;
            String f = sysProps.getProperty(CONFIG_FILE, env.get(envName(CONFIG_FILE)));
            this.fileName = f;
            if (f != null && !f.isBlank()) {
                Path p = Path.of(f);
                if (!Files.isRegularFile(p)) {
                    throw new ConfigException(envName(CONFIG_FILE) + " (" + CONFIG_FILE + "): file '" + f + "' does not exist");
                }
                Properties props = new Properties();
                try (InputStream in = Files.newInputStream(p)) {
                    props.load(in);
                } catch (IOException e) {
                    throw new ConfigException("Cannot read configuration file '" + f + "': " + e.getMessage());
                }
                props.stringPropertyNames().forEach(k -> file.put(k, props.getProperty(k).trim()));
            }
        }

        String raw(String key) {
            String v = sysProps.getProperty(key);
            if (v == null) v = env.get(envName(key));
            if (v == null) v = file.get(key);
            return v == null || v.isBlank() ? null : v.trim();
        }

        String string(String key, String def) {
            String v = raw(key);
            return v == null ? def : v;
        }

        long integer(String key, long def, long min, long max) {
            String v = raw(key);
            if (v == null) return def;
            long n;
            try {
                n = Long.parseLong(v.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new ConfigException(describe(key) + ": '" + v + "' is not a whole number (expected " + min + ".." + max + ")");
            }
            if (n < min || n > max) {
                throw new ConfigException(describe(key) + ": " + n + " is out of range (expected " + min + ".." + max + ")");
            }
            return n;
        }

        boolean bool(String key, boolean def) {
            String v = raw(key);
            if (v == null) return def;
            if (v.equalsIgnoreCase("true")) return true;
            if (v.equalsIgnoreCase("false")) return false;
            throw new ConfigException(describe(key) + ": '" + v + "' is not true or false");
        }

        String identifier(String key, String def) {
            String v = string(key, def);
            if (!v.matches("[a-z_][a-z0-9_]{0,62}")) {
                throw new ConfigException(describe(key) + ": '" + v + "' must be a lower-case PostgreSQL identifier (a-z, 0-9, _)");
            }
            return v;
        }

        Map<String, PluginEntry> pluginEntries() {
            Map<String, PluginEntry> out = new TreeMap<>();
            String envPrefix = envName(PLUGINS_PREFIX);
            Set<String> own = Set.of(envName(PLUGINS_DIR), envName(PLUGINS_CLOSE_DEADLINE_MS));
            file.forEach((k, v) -> {
                if (k.startsWith(PLUGINS_PREFIX)) out.put(envName(k), new PluginEntry(k + " (in " + fileName + ")", v));
            });
            env.forEach((k, v) -> {
                if (k.startsWith(envPrefix)) out.put(k, new PluginEntry(k, v.trim()));
            });
            for (String k : sysProps.stringPropertyNames()) {
                if (k.startsWith(PLUGINS_PREFIX)) out.put(envName(k), new PluginEntry(k, sysProps.getProperty(k).trim()));
            }
            own.forEach(out::remove);
            return Collections.unmodifiableMap(out);
        }

        String describe(String key) {
            return "Invalid value for " + envName(key) + " (" + key + (fileName != null ? ", or in " + fileName : "") + ")";
        }
    }
}
