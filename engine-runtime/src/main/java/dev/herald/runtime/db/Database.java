package dev.herald.runtime.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * The PostgreSQL database Herald works with: the user's tables, and Herald's own schema {@code herald} whose tables
 * are created and upgraded by Flyway migrations ({@code db/herald}). Thread-safe.
 */
public final class Database implements AutoCloseable {
    public static final String SCHEMA = "herald";

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final HikariDataSource pool;

    public Database(String jdbcUrl, String user, String password) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(jdbcUrl);
        // Named, not looked up through DriverManager: inside an application server DriverManager does not see drivers
        // in the WAR.
        hc.setDriverClassName("org.postgresql.Driver");
        hc.setUsername(user);
        hc.setPassword(password);
        hc.setPoolName("herald");
        hc.setMaximumPoolSize(8);
        hc.setMinimumIdle(1);
        hc.setConnectionTimeout(10_000);
        hc.setInitializationFailTimeout(-1);
        this.pool = new HikariDataSource(hc);
    }

    public DataSource dataSource() {
        return pool;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** Creates or upgrades Herald's own schema. */
    public void migrate() {
        SchemaMigrations.migrate(pool, "db/herald", "schema_history", SCHEMA, Database.class.getClassLoader());
    }

    /**
     * Checks what logical replication needs and says what to change when something is missing: {@code wal_level}
     * logical and a user allowed to replicate.
     */
    public void checkReplicationReady() throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SHOW wal_level")) {
                rs.next();
                String level = rs.getString(1);
                if (!"logical".equals(level)) {
                    throw new SQLException("PostgreSQL wal_level is '" + level + "' but change capture needs 'logical': run "
                            + "ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL");
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user")) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    throw new SQLException("database user '" + user + "' may not use replication: run ALTER ROLE \"" + user
                            + "\" WITH REPLICATION; (or connect as a user that has it)");
                }
            }
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
