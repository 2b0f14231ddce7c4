package dev.herald.runtime.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone server's default database: a PostgreSQL 15 (zonky binaries) kept under the data directory and
 * reused across restarts, configured for logical replication, with Supabase's {@code anon}, {@code authenticated}
 * and {@code service_role} roles. A postmaster left behind by a killed Herald is stopped before starting.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);
    public static final String USER = "postgres";
    public static final String PASSWORD = "postgres";

    private final EmbeddedPostgres postgres;
    private final int port;

    private EmbeddedDatabase(EmbeddedPostgres postgres, int port) {
        this.postgres = postgres;
        this.port = port;
    }

    public static EmbeddedDatabase start(Path dataDir, int port) {
        Path dir = dataDir.toAbsolutePath();
        try {
            Files.createDirectories(dir.getParent());
            stopStale(dir);
            // Checked now rather than found after zonky's 60 s start wait, and named: PostgreSQL's own "could not
            // bind" line is INFO output of a library, not in the log by default.
            if (port > 0) requireFreePort(port);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
            // Port 0: let zonky pick a free one (tests run several servers side by side).
            if (port > 0) builder.setPort(port);
            EmbeddedPostgres pg = builder
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    // Herald stops the database itself, after the change feed; zonky's own hook would race it.
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("wal_level", "logical")
                    // zonky turns this off; logical decoding would then see commits late.
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("max_replication_slots", "10")
                    .setServerConfig("max_wal_senders", "10")
                    .start();
            EmbeddedDatabase db = new EmbeddedDatabase(pg, pg.getPort());
            db.prepareRoles();
            return db;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    public int port() {
        return port;
    }

    public String psqlHint() {
        return "psql postgresql://" + USER + ":" + PASSWORD + "@127.0.0.1:" + port + "/postgres";
    }

    /** The roles a Supabase database has, so app tokens' {@code role} claims map to real roles. */
    private void prepareRoles() {
        try (Connection c = postgres.getPostgresDatabase().getConnection(USER, PASSWORD); Statement s = c.createStatement()) {
            for (String role : List.of("anon", "authenticated", "service_role")) {
                s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + role + "') THEN CREATE ROLE "
                        + role + " NOLOGIN; END IF; END $$");
            }
            prepareSchemas(s);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prepare roles in the embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** What a Supabase database has besides the roles: their grants on {@code public} and the {@code auth} helpers. */
    private static void prepareSchemas(Statement s) throws SQLException {
        s.execute("GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role");
        // Supabase's helpers, so RLS policies written for Supabase (auth.uid() = user_id) work unchanged.
        s.execute("CREATE SCHEMA IF NOT EXISTS auth");
        s.execute("GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role");
        s.execute("CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS "
                + "$$ SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $$");
        s.execute("CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS "
                + "$$ SELECT nullif(auth.jwt() ->> 'sub', '')::uuid $$");
        s.execute("CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT auth.jwt() ->> 'role' $$");
        s.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO anon, authenticated, service_role");
        s.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO anon, authenticated, service_role");
    }

    /**
     * Creates an empty database prepared like the default one (grants, {@code auth} helpers), e.g. one per test, and
     * returns its JDBC URL.
     *
     * @param name lower-case letters, digits and {@code _}, starting with a letter
     */
    public String createDatabase(String name) {
        if (!name.matches("[a-z][a-z0-9_]{0,62}")) throw new IllegalArgumentException("invalid database name '" + name + "'");
        try (Connection c = postgres.getPostgresDatabase().getConnection(USER, PASSWORD); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
        try (Connection c = postgres.getDatabase(USER, name).getConnection(USER, PASSWORD); Statement s = c.createStatement()) {
            prepareSchemas(s);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prepare database " + name + ": " + e.getMessage(), e);
        }
        return url;
    }

    private static void requireFreePort(int port) throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true); // as PostgreSQL binds: a port left in TIME_WAIT is usable
            probe.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            throw new IOException("port " + port + " on 127.0.0.1 is not available (" + e.getMessage()
                    + "); set HERALD_DB_EMBEDDED_PORT to another port, or to 0 for a free one", e);
        }
    }

    /** Stops a postmaster that a killed process left running on this data directory, and clears its pid file. */
    static void stopStale(Path dir) throws IOException {
        Path pidFile = dir.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) return;
        List<String> lines = Files.readAllLines(pidFile);
        long pid;
        try {
            pid = lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).strip());
        } catch (NumberFormatException e) {
            pid = -1;
        }
        Optional<ProcessHandle> process = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
        if (process.isPresent() && process.get().isAlive() && process.get().info().command().map(cmd -> cmd.contains("postgres")).orElse(true)) {
            LOG.warn("stopping a PostgreSQL (pid {}) left running on {} by an earlier start", pid, dir);
            ProcessHandle h = process.get();
            // SIGINT is PostgreSQL's fast shutdown (it does not wait for the dead Herald's sessions); SIGQUIT next;
            // SIGKILL only as a last resort, since it leaves shared memory and lock files behind.
            for (String signal : new String[] {"INT", "QUIT"}) {
                signal(signal, pid);
                if (awaitExit(h, 10_000)) break;
            }
            if (h.isAlive()) {
                h.destroyForcibly();
                awaitExit(h, 5_000);
            }
        }
        Files.deleteIfExists(pidFile);
    }

    private static void signal(String signal, long pid) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
        } catch (IOException e) {
            LOG.warn("cannot signal PostgreSQL pid {}: {}", pid, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean awaitExit(ProcessHandle h, long timeoutMs) {
        long end = System.currentTimeMillis() + timeoutMs;
        while (h.isAlive() && System.currentTimeMillis() < end) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !h.isAlive();
            }
        }
        return !h.isAlive();
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            LOG.warn("error stopping the embedded PostgreSQL: {}", e.toString());
        }
    }
}
