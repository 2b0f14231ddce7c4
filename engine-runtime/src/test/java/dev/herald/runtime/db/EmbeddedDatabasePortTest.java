package dev.herald.runtime.db;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A taken embedded-database port fails the start at once and says which setting to change. */
class EmbeddedDatabasePortTest {

    @Test
    void aTakenPortIsReportedBeforePostgresStarts() throws Exception {
        Path dir = Files.createTempDirectory("herald-embedded-port").resolve("postgres");
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            long began = System.currentTimeMillis();
            // Bounded: without the check, zonky waits 60 s for a server that cannot bind, and may then hang.
            UncheckedIOException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> assertThrows(UncheckedIOException.class, () -> EmbeddedDatabase.start(dir, port)));
            long elapsedMs = System.currentTimeMillis() - began;
            assertTrue(e.getMessage().contains("port " + port + " on 127.0.0.1 is not available"), e.getMessage());
            assertTrue(e.getMessage().contains("HERALD_DB_EMBEDDED_PORT"), e.getMessage());
            assertTrue(elapsedMs < 5_000, "failed after " + elapsedMs + " ms");
            assertTrue(!Files.exists(dir.resolve("PG_VERSION")), "no initdb for a database that cannot listen");
        }
    }
}
