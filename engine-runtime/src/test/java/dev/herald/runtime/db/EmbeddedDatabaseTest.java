package dev.herald.runtime.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EmbeddedDatabaseTest {

    @Test
    void keepsDataAcrossRestartsAndStopsAPostmasterLeftBehind() throws Exception {
        Path dir = Files.createTempDirectory("herald-embedded").resolve("postgres");
        // A Herald in another JVM starts the database, writes a row, and is killed with SIGKILL: its postmaster
        // keeps running and its pid file stays, as after a crash.
        Process herald = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Holder.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(herald.getInputStream()));
        String line;
        while ((line = out.readLine()) != null && !line.equals("READY")) {
            // wait for the child to have written its row
        }
        assertEquals("READY", line, "child did not start its database");
        List<String> pidLines = Files.readAllLines(dir.resolve("postmaster.pid"));
        long stalePid = Long.parseLong(pidLines.get(0).strip());
        herald.destroyForcibly().waitFor();
        assertTrue(ProcessHandle.of(stalePid).map(ProcessHandle::isAlive).orElse(false), "the orphaned postmaster is still running");
        // Someone (an app, psql) is still connected to the orphan: a smart shutdown would wait for them forever.
        Connection lingering = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pidLines.get(3).strip() + "/postgres",
                EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
        long started = System.currentTimeMillis();
        EmbeddedDatabase second = EmbeddedDatabase.start(dir, 0);
        assertTrue(System.currentTimeMillis() - started < 10_000, "the orphan was stopped fast, not after a smart-shutdown wait");
        lingering.close();
        try {
            Optional<ProcessHandle> old = ProcessHandle.of(stalePid);
            assertFalse(old.isPresent() && old.get().isAlive(), "the stale postmaster was stopped");
            try (Connection c = DriverManager.getConnection(second.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
                 Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT v FROM kept")) {
                    assertTrue(rs.next());
                    assertEquals("survives", rs.getString(1));
                }
                try (ResultSet rs = s.executeQuery("SELECT current_setting('wal_level'), current_setting('synchronous_commit'), "
                        + "(SELECT count(*) FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role'))")) {
                    rs.next();
                    assertEquals("logical", rs.getString(1));
                    assertEquals("on", rs.getString(2));
                    assertEquals(3, rs.getInt(3));
                }
            }
        } finally {
            second.close();
        }
    }

    /** The "killed Herald" of the test above, run in its own JVM. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            EmbeddedDatabase db = EmbeddedDatabase.start(Path.of(args[0]), 0);
            // The connection stays open: the orphaned postmaster then still has a session, which a smart shutdown
            // (SIGTERM) would wait for.
            Connection c = DriverManager.getConnection(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE kept (v text)");
                s.execute("INSERT INTO kept VALUES ('survives')");
                s.execute("CHECKPOINT");
            }
            System.out.println("READY");
            System.out.flush();
            Thread.sleep(120_000);
            c.close();
        }
    }

    @Test
    void aDatabaseWithoutLogicalReplicationIsExplained() throws Exception {
        Path dir = Files.createTempDirectory("herald-embedded-replica").resolve("postgres");
        EmbeddedDatabase pg = EmbeddedDatabase.start(dir, 0);
        try (Database db = new Database(pg.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD)) {
            db.checkReplicationReady();
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE ROLE plain_user LOGIN PASSWORD 'pw'");
            }
            try (Database limited = new Database(pg.jdbcUrl(), "plain_user", "pw")) {
                SQLException e = assertThrows(SQLException.class, limited::checkReplicationReady);
                assertTrue(e.getMessage().contains("ALTER ROLE \"plain_user\" WITH REPLICATION"), e.getMessage());
            }
        } finally {
            pg.close();
        }
    }
}
