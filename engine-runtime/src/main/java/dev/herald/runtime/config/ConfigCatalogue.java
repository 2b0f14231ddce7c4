package dev.herald.runtime.config;

import java.util.List;

/**
 * What every key of {@link HeraldConfig} means, for the generated configuration reference (docs/configuration.md).
 * A test checks that every key constant of {@link HeraldConfig} has an entry here. Immutable.
 */
public final class ConfigCatalogue {
    /**
     * One documented key.
     *
     * @param key the key, e.g. {@code herald.http.port}
     * @param defaultValue what applies when it is not set, as shown in the docs
     * @param help what it does
     */
    public record Entry(String key, String defaultValue, String help) {
        public String env() {
            return HeraldConfig.envName(key);
        }
    }

    /** Groups, in the order the reference shows them. */
    public record Group(String title, List<Entry> entries) {
    }

    public static final List<Group> GROUPS = List.of(
            new Group("Server", List.of(
                    e(HeraldConfig.HTTP_HOST, "`127.0.0.1`", "Address the standalone server binds. Binding anything but loopback requires `HERALD_JWT_SECRET`."),
                    e(HeraldConfig.HTTP_PORT, "`4000`", "Port for WebSocket, REST, metrics and plugins (`0` picks a free port; the start line prints it)."),
                    e(HeraldConfig.DATA_DIR, "`herald-data`", "Where Herald keeps its generated secret and the embedded PostgreSQL (`postgres/`)."),
                    e(HeraldConfig.CONFIG_FILE, "none", "A properties file with `herald.*=` lines; system properties and environment variables win over it."),
                    e(HeraldConfig.SHUTDOWN_DEADLINE_MS, "`5000`", "How long a graceful shutdown waits for queued messages before closing sockets with 1012."),
                    e(HeraldConfig.LOG_LIBRARY_LEVEL, "`warn`", "Lowest level logged by the libraries Herald is built on (the embedded PostgreSQL with its `initdb`, Debezium, Kafka Connect, Flyway, HikariCP, Grizzly, Jersey, Weld): `error`, `warn`, `info`, `debug` or `trace`. The default keeps their warnings and errors and leaves out their INFO lines; `info` brings those back. Herald's own lines are logged at `info` (or at this level when it is finer). Standalone server only: in an application server, its logging configuration decides."))),
            new Group("Tokens", List.of(
                    e(HeraldConfig.JWT_SECRET, "generated on loopback", "HS256 secret (at least 32 bytes) that signs client tokens. Without it, the standalone server on loopback generates one in `HERALD_DATA_DIR/jwt-secret`, mints an `anon` and a `service_role` key once into `HERALD_DATA_DIR/jwt-keys` and prints them at every start. Required in an application server."),
                    e(HeraldConfig.JWT_JWKS_URL, "none", "JWKS URL with RS*, PS*, ES* and EdDSA keys (and `oct` keys for HS tokens with a `kid`); cached by `kid`, refreshed on an unknown `kid` (at most once per second) and every 10 minutes."),
                    e(HeraldConfig.JWT_JWKS_FILE, "none", "The same as a local file."),
                    e(HeraldConfig.JWT_AUDIENCE, "none", "When set, tokens must carry this `aud` (string or list)."),
                    e(HeraldConfig.JWT_ISSUER, "none", "When set, tokens must carry this `iss`."),
                    e(HeraldConfig.JWT_CLOCK_SKEW_SECONDS, "`0`", "Seconds a token is still accepted after its `exp` (Supabase allows none)."),
                    e(HeraldConfig.JWT_EXPIRY_NOTICE_SECONDS, "`60`", "A joined channel receives a `system` notice this long before its token expires (0 = off)."),
                    e(HeraldConfig.JWT_EXPIRY_GRACE_SECONDS, "`0`", "How long a channel may outlive its token's `exp` before it is closed."))),
            new Group("Database and change capture", List.of(
                    e(HeraldConfig.DB_URL, "none (embedded)", "PostgreSQL JDBC URL (`jdbc:postgresql://host:5432/db`). Without it the standalone server starts an embedded PostgreSQL; the WAR requires one."),
                    e(HeraldConfig.DB_USER, "none", "Database user (needs `REPLICATION` for change capture)."),
                    e(HeraldConfig.DB_PASSWORD, "none", "Database password."),
                    e(HeraldConfig.DB_EMBEDDED_PORT, "`54322`", "Port of the embedded PostgreSQL (`0` picks a free one)."),
                    e(HeraldConfig.CDC_ENABLED, "`true`", "Change capture (postgres_changes). `false` runs broadcast and presence only (a database is still used when a plugin has tables)."),
                    e(HeraldConfig.CDC_TABLES, "`public.*`", "Tables to publish: comma-separated `schema.table` or `schema.*` (patterns cover tables created later). Plugin tables never match a pattern: the tables a plugin publishes are added automatically, its internal ones never."),
                    e(HeraldConfig.CDC_PUBLICATION, "`herald`", "Publication Herald manages (only ever adds tables)."),
                    e(HeraldConfig.CDC_SLOT, "`herald`", "Logical replication slot."),
                    e(HeraldConfig.CDC_POLL_INTERVAL_MS, "`10`", "Debezium poll interval; bounds added latency."),
                    e(HeraldConfig.CDC_OFFSET_FLUSH_MS, "`1000`", "How often stream offsets are persisted (after fan-out)."))),
            new Group("WebSocket and delivery", List.of(
                    e(HeraldConfig.WS_IDLE_TIMEOUT_MS, "`60000`", "A connection that sends no frame for this long is closed (clients heartbeat every 25 s); the standalone server lets an idle plain-HTTP keep-alive connection go 30 s after this."),
                    e(HeraldConfig.WS_MAX_FRAME_BYTES, "`5000000`", "Largest WebSocket frame accepted; a larger one closes the connection (1009)."),
                    e(HeraldConfig.HANDSHAKE_ERROR_DELAY_MS, "`2000`", "Delay before answering a refused upgrade (throttles reconnect storms; no thread waits)."),
                    e(HeraldConfig.OUTBOUND_QUEUE_MESSAGES, "`4096`", "Per-connection outbound queue bound (messages); a reader this far behind is disconnected (1008, `SlowConsumer`)."),
                    e(HeraldConfig.OUTBOUND_QUEUE_BYTES, "1/16 of the max heap, at most `67108864` (32 MiB at `-Xmx512m`)", "Per-connection outbound queue bound (bytes), same rule."),
                    e(HeraldConfig.OUTBOUND_MAX_TOTAL_BYTES, "1/8 of the max heap (64 MiB at `-Xmx512m`)", "Bytes queued for all connections together, each shared frame counted once at its estimated heap size (twice its wire size: encoded form and framed copy). Past it the connections furthest behind are closed first (1008, `SlowConsumer`) until the total is below it ([limits.md](limits.md#memory))."),
                    e(HeraldConfig.REPLAY_MAX_MESSAGES, "`10000`", "Resume window in messages per topic (and changes overall); `0` turns resume off and drops positions from messages ([resume.md](resume.md))."),
                    e(HeraldConfig.REPLAY_MAX_AGE_MS, "`600000`", "Resume window in time; applied by a sweep every second, also to topics nobody touches."),
                    e(HeraldConfig.REPLAY_MAX_BYTES, "1/16 of the max heap (32 MiB at `-Xmx512m`)", "Bytes the broadcast resume windows of all topics keep together (each message counted at its estimated retained size plus 256 bytes); past it the oldest messages of any topic go first."),
                    e(HeraldConfig.REPLAY_TOPIC_MAX_BYTES, "1/64 of the max heap (8 MiB at `-Xmx512m`)", "Bytes one topic's broadcast resume window keeps (at most the total above)."),
                    e(HeraldConfig.REPLAY_CHANGES_MAX_BYTES, "1/32 of the max heap (16 MiB at `-Xmx512m`)", "Bytes the postgres_changes resume log keeps (each change at its estimated decoded size plus 256 bytes)."),
                    e(HeraldConfig.REPLAY_STORE, "`memory`", "`postgres` keeps the broadcast replay window in `herald.replay_broadcast`, so resumes survive restarts."))),
            new Group("Access", List.of(
                    e(HeraldConfig.POLICY_FILE, "none", "JSON rules for private channels and row policies ([access-policies.md](access-policies.md)). Without it (and without plugin policies), private channels are refused to everyone but `service_role`."),
                    e(HeraldConfig.PRIVATE_ONLY, "`false`", "Refuse public channels (`PrivateOnly: This project only allows private channels`)."))),
            new Group("Limits ([limits.md](limits.md); `0` = unlimited)", List.of(
                    e(HeraldConfig.LIMITS_PROFILE, "`herald`", "`herald` (out of the way of one busy server) or `supabase` (Supabase's tenant defaults); keys below override it."),
                    e(HeraldConfig.MAX_PAYLOAD_KB, "`3000`", "Largest broadcast payload: kb × 1000 + 500 bytes."),
                    e(HeraldConfig.LIMITS_MAX_CONCURRENT_USERS, "profile", "Connections with at least one joined channel."),
                    e(HeraldConfig.LIMITS_MAX_JOINS_PER_SECOND, "profile", "Joins per second, server-wide."),
                    e(HeraldConfig.LIMITS_MAX_CHANNELS_PER_CLIENT, "profile", "Channels one connection may join."),
                    e(HeraldConfig.LIMITS_MAX_EVENTS_PER_SECOND, "profile", "Broadcasts sent plus delivered per second."),
                    e(HeraldConfig.LIMITS_MAX_PRESENCE_EVENTS_PER_SECOND, "profile", "Presence tracks plus delivered diffs per second."),
                    e(HeraldConfig.LIMITS_CLIENT_PRESENCE_MAX_CALLS, "profile", "Presence calls per channel per window."),
                    e(HeraldConfig.LIMITS_CLIENT_PRESENCE_WINDOW_MS, "profile", "That window."),
                    e(HeraldConfig.LIMITS_REST_REQUESTS_PER_SECOND, "profile", "REST broadcast requests per second."),
                    e(HeraldConfig.LIMITS_RATE_WINDOW_MS, "profile", "Averaging window of the rates."))),
            new Group("Plugins", List.of(
                    e(HeraldConfig.PLUGINS_DIR, "`plugins/` beside `herald.jar` (or beside its folder)", "Folder whose `*.jar` files are loaded as plugins, besides those on Herald's class path."),
                    e(HeraldConfig.PLUGINS_CLOSE_DEADLINE_MS, "`5000`", "How long Herald waits for each plugin's `close()` when it stops."))),
            new Group("Admin console ([admin-console.md](admin-console.md))", List.of(
                    e(HeraldConfig.ADMIN_PASSWORD, "generated on loopback", "Password of the admin console and API (user `admin`, at least 12 characters). Unset on a standalone server bound to loopback: generated once into `HERALD_DATA_DIR/admin-password` and printed at start. Unset elsewhere (another address, an application server): the admin API answers 503."),
                    e(HeraldConfig.ADMIN_LOGIN_THROTTLE_STEP_MS, "`100`", "Admin credential guessing is slowed per client address and overall: after 5 failures of an address (100 over all addresses) within 15 minutes, each further attempt is answered no earlier than this × k milliseconds after the previous one (k = failures beyond the free ones); logins queue, and HTTP Basic calls of a throttled address answer 429 (session-token calls are not throttled). `0` turns it off."),
                    e(HeraldConfig.ADMIN_LOGIN_THROTTLE_MAX_MS, "`10000`", "The longest of those delays."),
                    e(HeraldConfig.DEMO, "`false`", "Demo mode: four in-process clients join `demo-lobby`, `demo-orders` and `demo-chat`, track presence and broadcast about three messages a second, so the console shows live channels."))));

    private ConfigCatalogue() {
    }

    private static Entry e(String key, String def, String help) {
        return new Entry(key, def, help);
    }
}
