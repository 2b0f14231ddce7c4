package dev.herald.runtime.plugin;

import static dev.herald.runtime.plugin.TestPlugins.config;
import static dev.herald.runtime.plugin.TestPlugins.plugin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.Plugin;
import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PluginHostTest {

    private static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of("max-length", ConfigKey.Type.INTEGER, "10", "longest body"),
            ConfigKey.of("greeting", ConfigKey.Type.STRING, null, "what to say"),
            ConfigKey.of("upstream", ConfigKey.Type.URL, "https://example.org", "where to go"),
            ConfigKey.of("loud", ConfigKey.Type.BOOLEAN, "false", "shout"));

    @Test
    void startsInDependencyOrderAndClosesInReverse() {
        List<String> log = TestPlugins.log();
        PluginHost host = PluginHost.of(config(Map.of()), List.of(
                plugin("c", Set.of("b"), List.of(), log),
                plugin("a", Set.of(), List.of(), log),
                plugin("b", Set.of("a"), List.of(), log)));
        assertEquals(List.of("a", "b", "c"), host.ids());
        host.init();
        host.start(id -> null);
        host.close(1000);
        assertEquals(List.of("init a", "init b", "init c", "start a", "start b", "start c", "close c", "close b", "close a"), log);
    }

    @Test
    void dependencyCycleStopsTheBootNamingTheCycle() {
        List<String> log = TestPlugins.log();
        ConfigException e = assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of()), List.of(
                plugin("a", Set.of("b"), List.of(), log), plugin("b", Set.of("c"), List.of(), log), plugin("c", Set.of("a"), List.of(), log))));
        assertEquals("Plugin dependency cycle: a -> b -> c -> a", e.getMessage());
        assertTrue(log.isEmpty(), "nothing was initialised");
    }

    @Test
    void missingOrDisabledDependencyStopsTheBoot() {
        List<String> log = TestPlugins.log();
        ConfigException missing = assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of()), List.of(plugin("a", Set.of("zz"), List.of(), log))));
        assertEquals("Plugin 'a' depends on 'zz', which is not installed", missing.getMessage());
        ConfigException disabled = assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of("HERALD_PLUGINS_B_ENABLED", "false")),
                List.of(plugin("a", Set.of("b"), List.of(), log), plugin("b", Set.of(), List.of(), log))));
        assertEquals("Plugin 'a' depends on 'b', which is disabled (HERALD_PLUGINS_B_ENABLED=false)", disabled.getMessage());
    }

    @Test
    void configuredButMissingPluginStopsTheBoot() {
        ConfigException e = assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of("HERALD_PLUGINS_VOICE_ENABLED", "true")),
                List.of(plugin("notes", Set.of(), List.of(), TestPlugins.log()))));
        assertTrue(e.getMessage().startsWith("Plugin 'voice' is enabled by HERALD_PLUGINS_VOICE_ENABLED but is not installed. Installed plugins: notes"), e.getMessage());
        // Switching off a plugin that is not there is fine.
        PluginHost.of(config(Map.of("HERALD_PLUGINS_VOICE_ENABLED", "false")), List.of());
    }

    @Test
    void unknownKeysStopTheBoot() {
        List<String> log = TestPlugins.log();
        Plugin notes = plugin("notes", Set.of(), KEYS, log);
        ConfigException typo = assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of("HERALD_PLUGINS_NOTES_MAX_LENGHT", "5")), List.of(notes)));
        assertEquals("Unknown configuration key HERALD_PLUGINS_NOTES_MAX_LENGHT for plugin notes. Known keys: max-length, greeting, upstream, loud, enabled",
                typo.getMessage());
        Properties props = new Properties();
        props.setProperty("herald.plugins.notes.colour", "red");
        ConfigException sysprop = assertThrows(ConfigException.class, () -> PluginHost.of(HeraldConfig.load(Map.of(), props), List.of(notes)));
        assertTrue(sysprop.getMessage().startsWith("Unknown configuration key herald.plugins.notes.colour for plugin notes."), sysprop.getMessage());
        ConfigException nobody = assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of("HERALD_PLUGINS_NOPE_COLOUR", "red")), List.of(notes)));
        assertEquals("Unknown configuration key HERALD_PLUGINS_NOPE_COLOUR: there is no plugin 'nope'. Installed plugins: notes", nobody.getMessage());
    }

    @Test
    void valuesAreTypedAndCheckedBeforeInit() {
        List<String> log = TestPlugins.log();
        Plugin notes = plugin("notes", Set.of(), KEYS, log);
        ConfigException notNumber = assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of("HERALD_PLUGINS_NOTES_MAX_LENGTH", "ten")), List.of(notes)));
        assertEquals("Invalid value for HERALD_PLUGINS_NOTES_MAX_LENGTH: 'ten' is not a whole number (longest body)", notNumber.getMessage());
        assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of("HERALD_PLUGINS_NOTES_UPSTREAM", "ftp://x")), List.of(notes)));
        assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of("HERALD_PLUGINS_NOTES_LOUD", "yes")), List.of(notes)));

        PluginSettings s = new PluginSettings("notes", KEYS, Map.of("MAX_LENGTH", new HeraldConfig.PluginEntry("HERALD_PLUGINS_NOTES_MAX_LENGTH", "1_000")));
        PluginConfig c = s;
        assertEquals(1000, c.integer("max-length"));
        assertEquals(null, c.string("greeting"));
        assertFalse(c.bool("loud"));
        assertThrows(IllegalStateException.class, () -> c.integer("greeting"));
        assertThrows(IllegalArgumentException.class, () -> c.string("undeclared"));
        assertEquals("HERALD_PLUGINS_NOTES_MAX_LENGTH (herald.plugins.notes.max-length)", c.describe("max-length"));
    }

    @Test
    void requiredKeysAndSecretsAreHandled() {
        List<ConfigKey> keys = List.of(new ConfigKey("api-key", ConfigKey.Type.STRING, null, "the upstream key", true, true));
        ConfigException e = assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of()), List.of(plugin("voice", Set.of(), keys, TestPlugins.log()))));
        assertEquals("HERALD_PLUGINS_VOICE_API_KEY (herald.plugins.voice.api-key) is required: the upstream key", e.getMessage());
        PluginHost host = PluginHost.of(config(Map.of("HERALD_PLUGINS_VOICE_API_KEY", "sk-secret")), List.of(plugin("voice", Set.of(), keys, TestPlugins.log())));
        host.init();
        host.start(id -> null);
        assertEquals(Map.of("api-key", "***"), host.plugins().get(0).settings(), "secrets are never shown");
    }

    @Test
    void disabledPluginsAreListedButNeverInitialised() {
        List<String> log = TestPlugins.log();
        PluginHost host = PluginHost.of(config(Map.of("HERALD_PLUGINS_B_ENABLED", "false")),
                List.of(plugin("a", Set.of(), List.of(), log), plugin("b", Set.of(), List.of(), log)));
        host.init();
        host.start(id -> null);
        assertEquals(List.of("a"), host.ids());
        assertEquals(List.of("init a", "start a"), log);
        assertEquals(2, host.plugins().size());
        assertFalse(host.plugins().get(1).enabled());
    }

    @Test
    void badIdsAndDuplicatesAreRefused() {
        assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of()), List.of(plugin("Bad-Id", Set.of(), List.of(), TestPlugins.log()))));
        assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of()), List.of(plugin("dir", Set.of(), List.of(), TestPlugins.log()))));
        ConfigException dup = assertThrows(ConfigException.class, () -> PluginHost.of(config(Map.of()),
                List.of(plugin("a", Set.of(), List.of(), TestPlugins.log()), plugin("a", Set.of(), List.of(), TestPlugins.log()))));
        assertTrue(dup.getMessage().startsWith("Two plugins have the id 'a'"), dup.getMessage());
    }

    @Test
    void aFailingInitStopsTheBootWithThePluginsMessage() {
        Plugin picky = new Plugin() {
            @Override
            public String id() {
                return "picky";
            }

            @Override
            public void init(PluginConfig config) {
                throw new IllegalArgumentException("HERALD_PLUGINS_PICKY_X must be at least 1");
            }
        };
        PluginHost host = PluginHost.of(config(Map.of()), List.of(picky));
        ConfigException e = assertThrows(ConfigException.class, host::init);
        assertEquals("Plugin 'picky' refused to start: HERALD_PLUGINS_PICKY_X must be at least 1", e.getMessage());
    }

    @Test
    void closeIsBoundedByTheDeadline() {
        Plugin stuck = new Plugin() {
            @Override
            public String id() {
                return "stuck";
            }

            @Override
            public void close() {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        List<String> log = TestPlugins.log();
        PluginHost host = PluginHost.of(config(Map.of()), List.of(plugin("first", Set.of(), List.of(), log), stuck));
        host.init();
        host.start(id -> null);
        long t0 = System.nanoTime();
        host.close(200);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 5_000, "close waited " + ms + " ms");
        assertTrue(log.contains("close first"), "the next plugin is still closed after a stuck one");
    }
}
