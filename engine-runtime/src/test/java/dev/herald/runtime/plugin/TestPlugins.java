package dev.herald.runtime.plugin;

import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.ReactsToChanges;
import dev.herald.api.plugin.Plugin;
import dev.herald.api.plugin.TableHook;
import dev.herald.api.plugin.Tables;
import dev.herald.runtime.config.HeraldConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;

/** Small plugins for the host's tests. */
final class TestPlugins {
    private TestPlugins() {
    }

    static HeraldConfig config(Map<String, String> env) {
        return HeraldConfig.load(env, new Properties());
    }

    /** A plugin with an id, dependencies and keys and no contributions; records its lifecycle calls in {@code log}. */
    static Plugin plugin(String id, Set<String> deps, List<ConfigKey> keys, List<String> log) {
        return new Recording(id, deps, keys, log);
    }

    /** The same with tables and hooks on them. */
    static ReactsToChanges plugin(String id, Set<String> deps, List<ConfigKey> keys, List<String> log, Supplier<Tables> tables, List<TableHook> hooks) {
        final class WithTables extends Recording implements ReactsToChanges {
            WithTables() {
                super(id, deps, keys, log);
            }

            @Override
            public Tables tables() {
                return tables.get();
            }

            @Override
            public List<TableHook> hooks() {
                return hooks;
            }
        }
        return new WithTables();
    }

    private static class Recording implements Plugin {
        private final String id;
        private final Set<String> deps;
        private final List<ConfigKey> keys;
        private final List<String> log;
        private PluginConfig config;

        Recording(String id, Set<String> deps, List<ConfigKey> keys, List<String> log) {
            this.id = id;
            this.deps = deps;
            this.keys = keys;
            this.log = log;
        }

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
        public void start(PluginContext context) {
            log.add("start " + id);
        }

        @Override
        public void close() {
            log.add("close " + id);
        }

        @Override
        public String toString() {
            return id + " " + (config == null ? "" : config.toString());
        }
    }

    static List<String> log() {
        return new ArrayList<>();
    }
}
