package dev.herald.runtime.cdc;

import dev.herald.runtime.db.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/** A throwaway PostgreSQL with logical replication for integration tests (zonky, free port, temp directory). */
public final class PostgresFixture implements AutoCloseable {
    public EmbeddedDatabase db;
    public final Path dir;

    public PostgresFixture() throws Exception {
        dir = Files.createTempDirectory("herald-pg-test");
        db = EmbeddedDatabase.start(dir.resolve("postgres"), 0);
    }

    /** Stops PostgreSQL and starts it again on the same port and data directory (a database restart). */
    public void restart() {
        int port = db.port();
        db.close();
        db = EmbeddedDatabase.start(dir.resolve("postgres"), port);
    }

    public String url() {
        return db.jdbcUrl();
    }

    /**
     * An engine on this database with change capture running: the test JWT secret, the fixture's data directory,
     * plus {@code extra} settings.
     */
    public dev.herald.runtime.boot.Engine startEngine(java.util.Map<String, String> extra) throws InterruptedException {
        java.util.Map<String, String> env = new java.util.HashMap<>(java.util.Map.of(
                "HERALD_JWT_SECRET", dev.herald.runtime.auth.Tokens.SECRET,
                "HERALD_DB_URL", url(),
                "HERALD_DB_USER", EmbeddedDatabase.USER,
                "HERALD_DB_PASSWORD", EmbeddedDatabase.PASSWORD,
                "HERALD_DATA_DIR", dir.toString()));
        env.putAll(extra);
        dev.herald.runtime.boot.Engine engine = dev.herald.runtime.boot.EngineBootstrap.start(
                dev.herald.runtime.config.HeraldConfig.load(env, new java.util.Properties()),
                dev.herald.runtime.boot.EngineBootstrap.Hosting.STANDALONE);
        if (!engine.cdc().awaitRunning(60_000)) {
            engine.close();
            throw new IllegalStateException("change capture did not start: " + engine.cdc().lastError());
        }
        return engine;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
    }

    public void sql(String... statements) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String sql : statements) s.execute(sql);
        }
    }

    @Override
    public void close() {
        db.close();
    }
}
