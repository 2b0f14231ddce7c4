package dev.herald.war;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL with logical replication for the deployed WAR, started before Arquillian deploys it.
 *
 * <p>Embedded GlassFish loads classes parent-first from the test class path, so the embedded-PostgreSQL library
 * cannot live there. Instead this runs the standalone distribution's embedded default in a separate JVM: the built
 * {@code herald.jar} with change capture off and the example plugin in its plugins folder (a plugin with tables is
 * what makes it start its database). The WAR then connects to that PostgreSQL through {@code herald.db.url}, as it
 * would to any external database, and is the only one reading its replication stream.
 */
public final class PostgresForWar implements BeforeAllCallback, AfterAllCallback {
    private static final Pattern PSQL = Pattern.compile("connect with: psql postgresql://([^:]+):([^@]+)@([^/]+)/(\\S+)");
    private Process process;
    private Path dir;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Path jar = Path.of(HeraldWarTest.required("herald.war-test.standalone-jar"));
        Path plugin = Path.of(HeraldWarTest.required("herald.war-test.notes-jar"));
        if (!Files.isRegularFile(jar) || !Files.isRegularFile(plugin)) {
            throw new IllegalStateException("build the standalone jar and the example plugin first: " + jar + ", " + plugin);
        }
        dir = Files.createTempDirectory("herald-war-pg");
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(plugin, plugins.resolve(plugin.getFileName()));
        ProcessBuilder pb = new ProcessBuilder("java", "-Xmx256m", "-jar", jar.toString()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("HERALD_"));
        pb.environment().put("HERALD_HTTP_PORT", "0");
        pb.environment().put("HERALD_DB_EMBEDDED_PORT", "0");
        pb.environment().put("HERALD_DATA_DIR", dir.resolve("data").toString());
        pb.environment().put("HERALD_CDC_ENABLED", "false");
        pb.environment().put("HERALD_PLUGINS_DIR", plugins.toString());
        pb.environment().put("HERALD_JWT_SECRET", "postgres-provider-for-the-war-test-0123456789");
        process = pb.start();
        CompletableFuture<Matcher> found = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Matcher m = PSQL.matcher(line);
                    if (m.find()) found.complete(m);
                }
                found.completeExceptionally(new IllegalStateException("the PostgreSQL provider exited before printing its database"));
            } catch (IOException e) {
                found.completeExceptionally(e);
            }
        }, "war-test-postgres-output");
        reader.setDaemon(true);
        reader.start();
        Matcher m = found.get(120, TimeUnit.SECONDS);
        System.setProperty("herald.db.url", "jdbc:postgresql://" + m.group(3) + "/" + m.group(4));
        System.setProperty("herald.db.user", m.group(1));
        System.setProperty("herald.db.password", m.group(2));
        System.setProperty("herald.cdc.enabled", "true");
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
