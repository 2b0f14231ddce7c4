package dev.herald.testing;

import dev.herald.runtime.db.EmbeddedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The throwaway PostgreSQL of a test JVM: Herald's embedded database, started on a free loopback port on first use
 * and stopped (its files deleted) when the JVM exits. Each {@link PluginHarness} gets a database of its own in it,
 * prepared like Herald's default one (the {@code anon}, {@code authenticated} and {@code service_role} roles, the
 * {@code auth.uid()} helpers), so tests never see each other's rows. Thread-safe.
 */
final class TestPostgres {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedDatabase server;

    private TestPostgres() {
    }

    /** A new empty database; returns its JDBC URL (user and password {@link EmbeddedDatabase#USER}/{@link EmbeddedDatabase#PASSWORD}). */
    static synchronized String newDatabase() {
        if (server == null) {
            Path dir;
            try {
                dir = Files.createTempDirectory("herald-plugin-test-pg");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a folder for the test PostgreSQL: " + e.getMessage(), e);
            }
            EmbeddedDatabase started = EmbeddedDatabase.start(dir.resolve("data"), 0);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                started.close();
                delete(dir);
            }, "herald-test-postgres-stop"));
            server = started;
        }
        return server.createDatabase("plugin_test_" + DATABASES.incrementAndGet());
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temporary folder is harmless
        }
    }
}
