package dev.herald.runtime.plugin;

import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginFactory;
import dev.herald.api.plugin.TableHook;
import dev.herald.api.plugin.Tables;
import dev.herald.runtime.config.HeraldConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;

/** Small plugin factories for the host's tests. */
final class TestPlugins {
    private TestPlugins() {
    }

    static HeraldConfig config(Map<String, String> env) {
        return HeraldConfig.load(env, new Properties());
    }

    /** A plugin with an id, dependencies, keys and optional tables; records its lifecycle calls in {@code log}. */
    static PluginFactory plugin(String id, Set<String> deps, List<ConfigKey> keys, List<String> log) {
        return plugin(id, deps, keys, log, () -> null, List.of());
    }

    static PluginFactory plugin(String id, Set<String> deps, List<ConfigKey> keys, List<String> log, Supplier<Tables> tables, List<TableHook> hooks) {
        return new PluginFactory() {
            PluginConfig config;

            @Override
            public String id() {
                return id;
            }

            @Override
            public Set<String> dependsOn() {
                return deps;
            }

            @Override
            public List<ConfigKey> configKeys() {
                return keys;
            }

            @Override
            public void init(PluginConfig config) {
                this.config = config;
                log.add("init " + id);
            }

            @Override
            public Tables tables() {
                return tables.get();
            }

            @Override
            public void postInit(PluginContext context) {
                log.add("postInit " + id);
            }

            @Override
            public List<TableHook> hooks() {
                return hooks;
            }

            @Override
            public void close() {
                log.add("close " + id);
            }

            @Override
            public String toString() {
                return id + " " + (config == null ? "" : config.toString());
            }
        };
    }

    static List<String> log() {
        return new ArrayList<>();
    }
}
