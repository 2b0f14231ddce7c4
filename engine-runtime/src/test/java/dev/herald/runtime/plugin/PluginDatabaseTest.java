package dev.herald.runtime.plugin;

import static dev.herald.runtime.plugin.TestPlugins.plugin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.ErrorCode;
import dev.herald.api.plugin.RowChange;
import dev.herald.api.plugin.TableHook;
import dev.herald.api.plugin.Tables;
import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.boot.EngineBootstrap;
import dev.herald.runtime.cdc.PostgresFixture;
import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.db.EmbeddedDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Plugin tables against a real PostgreSQL: migrations, their histories, the publication and table hooks. */
class PluginDatabaseTest {
    static PostgresFixture pg;

    @BeforeAll
    static void start() throws Exception {
        pg = new PostgresFixture();
    }

    @AfterAll
    static void stop() {
        if (pg != null) pg.close();
    }

    private static HeraldConfig config(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of(
                "HERALD_JWT_SECRET", Tokens.SECRET,
                "HERALD_DB_URL", pg.url(),
                "HERALD_DB_USER", EmbeddedDatabase.USER,
                "HERALD_DB_PASSWORD", EmbeddedDatabase.PASSWORD,
                "HERALD_DATA_DIR", pg.dir.toString(),
                "HERALD_CDC_TABLES", "public.nothing_else"));
        env.putAll(extra);
        return HeraldConfig.load(env, new Properties());
    }

    @Test
    void aFailingMigrationStopsTheBootReadablyAndRollsBackItsStep() throws Exception {
        HeraldConfig config = config(Map.of("HERALD_CDC_ENABLED", "false"));
        PluginHost host = PluginHost.of(config, List.of(plugin("broken", Set.of(), List.of(), TestPlugins.log(),
                () -> Tables.inPublic("db/test-plugins/broken", "broken_ok"), List.of())));
        ConfigException e = assertThrows(ConfigException.class, () -> EngineBootstrap.start(config, EngineBootstrap.Hosting.STANDALONE, host));
        assertTrue(e.getMessage().startsWith("Plugin 'broken': migration failed:"), e.getMessage());
        assertTrue(e.getMessage().contains("V2__broken.sql") || e.getMessage().contains("2 - broken"), e.getMessage());
        assertTrue(e.getMessage().contains("TABLEE"), "the SQL error is in the message: " + e.getMessage());
        assertTrue(tableExists("public", "broken_ok"), "V1 was applied");
        assertFalse(tableExists("public", "broken_half"), "the failing V2 was rolled back as a whole");
    }

    @Test
    void migrationsHooksAndPublication() throws Exception {
        List<RowChange> seen = new CopyOnWriteArrayList<>();
        TableHook hook = new TableHook() {
            @Override
            public String schema() {
                return "public";
            }

            @Override
            public String table() {
                return "counter_items";
            }

            @Override
            public void onChange(RowChange change) {
                seen.add(change);
                if ("boom".equals(change.record().get("label"))) throw new IllegalStateException("hook failure is contained");
            }
        };
        HeraldConfig config = config(Map.of());
        PluginHost host = PluginHost.of(config, List.of(plugin("counter", Set.of(), List.of(), TestPlugins.log(),
                () -> Tables.inPublic("db/test-plugins/counter", "counter_items"), List.of(hook))));
        Engine engine = EngineBootstrap.start(config, EngineBootstrap.Hosting.STANDALONE, host);
        try {
            assertTrue(engine.cdc().awaitRunning(60_000), "change capture runs");
            assertTrue(tableExists("public", "counter_items"));
            assertTrue(tableExists("herald", "plugin_counter_history"), "one history per plugin, in Herald's schema");
            assertTrue(tableExists("herald", "schema_history"), "Herald's own schema migrated the same way");
            try (Connection c = pg.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_publication_tables WHERE schemaname = 'public' AND tablename = 'counter_items'")) {
                rs.next();
                assertEquals(1, rs.getInt(1), "the plugin's table is in Herald's publication");
            }
            pg.sql("INSERT INTO counter_items VALUES (1, 'one', 5)", "INSERT INTO counter_items VALUES (2, 'boom', 0)",
                    "UPDATE counter_items SET n = n + 1 WHERE id = 1", "DELETE FROM counter_items WHERE id = 2");
            long deadline = System.currentTimeMillis() + 20_000;
            while (seen.size() < 4 && System.currentTimeMillis() < deadline) Thread.sleep(20);
            List<String> kinds = new ArrayList<>();
            for (RowChange c : seen) kinds.add(c.type() + " " + c.record().getOrDefault("id", c.oldRecord().get("id")));
            assertEquals(List.of("INSERT 1", "INSERT 2", "UPDATE 1", "DELETE 2"), kinds, "in commit order, a failing hook does not stop the feed");
            assertEquals(6L, seen.get(2).record().get("n"), "typed row values");
            assertEquals(1.0, engine.metrics().drops(ErrorCode.PLUGIN_HOOK_FAILED), "the failing hook call is counted");
        } finally {
            engine.close();
        }
        // A second start applies nothing new and keeps working.
        Engine again = EngineBootstrap.start(config(Map.of("HERALD_CDC_ENABLED", "false")), EngineBootstrap.Hosting.STANDALONE,
                PluginHost.of(config, List.of(plugin("counter", Set.of(), List.of(), TestPlugins.log(),
                        () -> Tables.inPublic("db/test-plugins/counter", "counter_items"), List.of()))));
        again.close();
    }

    private static boolean tableExists(String schema, String table) throws Exception {
        try (Connection c = pg.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT to_regclass('" + schema + "." + table + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
