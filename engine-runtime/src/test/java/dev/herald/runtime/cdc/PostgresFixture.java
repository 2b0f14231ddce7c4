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
