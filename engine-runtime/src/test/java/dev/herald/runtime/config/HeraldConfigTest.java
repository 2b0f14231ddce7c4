package dev.herald.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeraldConfigTest {

    @Test
    void defaults() {
        HeraldConfig c = HeraldConfig.load(Map.of(), new Properties());
        assertEquals("127.0.0.1", c.httpHost());
        assertEquals(4000, c.httpPort());
        assertNull(c.jwtSecret());
        assertEquals(0, c.jwtClockSkewSeconds());
        assertEquals(Path.of("herald-data"), c.dataDir());
        assertEquals(60_000, c.wsIdleTimeoutMs());
        assertEquals(5_000_000, c.wsMaxFrameBytes());
        assertEquals(3_000_500, c.maxPayloadBytes());
    }

    @Test
    void systemPropertiesWinOverEnvironmentWhichWinsOverTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("herald.properties");
        Files.writeString(file, "herald.http.port=4100\nherald.ws.idle-timeout-ms=5000\nherald.data.dir=from-file\n");
        Properties sys = new Properties();
        sys.setProperty("herald.http.port", "4300");
        HeraldConfig c = HeraldConfig.load(Map.of("HERALD_CONFIG_FILE", file.toString(), "HERALD_HTTP_PORT", "4200",
                "HERALD_WS_IDLE_TIMEOUT_MS", "7000"), sys);
        assertEquals(4300, c.httpPort());
        assertEquals(7000, c.wsIdleTimeoutMs());
        assertEquals(Path.of("from-file"), c.dataDir());
    }

    @Test
    void badValuesNameTheKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> HeraldConfig.load(Map.of("HERALD_HTTP_PORT", "http"), new Properties()));
        assertEquals("Invalid value for HERALD_HTTP_PORT (herald.http.port): 'http' is not a whole number (expected 0..65535)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> HeraldConfig.load(Map.of("HERALD_HTTP_PORT", "70000"), new Properties()));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> HeraldConfig.load(Map.of("HERALD_JWT_SECRET", "short"), new Properties()));
        assertTrue(e.getMessage().contains("at least 32 bytes"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> HeraldConfig.load(Map.of("HERALD_DB_URL", "mysql://x"), new Properties()));
        assertTrue(e.getMessage().contains("HERALD_DB_URL"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> HeraldConfig.load(Map.of("HERALD_CONFIG_FILE", "/nonexistent/herald.properties"), new Properties()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void envNames() {
        assertEquals("HERALD_WS_IDLE_TIMEOUT_MS", HeraldConfig.envName("herald.ws.idle-timeout-ms"));
    }
}
