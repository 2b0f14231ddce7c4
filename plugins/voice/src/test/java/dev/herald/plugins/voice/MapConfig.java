package dev.herald.plugins.voice;

import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.PluginConfig;
import java.util.HashMap;
import java.util.Map;

/** A {@link PluginConfig} over a map, with the declared keys' defaults, for tests. */
final class MapConfig implements PluginConfig {
    private final Map<String, ConfigKey> keys = new HashMap<>();
    private final Map<String, String> values;

    MapConfig(Map<String, String> values) {
        for (ConfigKey k : VoiceSettings.keys()) keys.put(k.name(), k);
        for (String k : values.keySet()) if (!keys.containsKey(k)) throw new IllegalArgumentException("undeclared key " + k);
        this.values = Map.copyOf(values);
    }

    @Override
    public String pluginId() {
        return "voice";
    }

    @Override
    public String string(String key) {
        ConfigKey k = keys.get(key);
        if (k == null) throw new IllegalArgumentException("undeclared key " + key);
        return values.getOrDefault(key, k.defaultValue());
    }

    private String required(String key) {
        String v = string(key);
        if (v == null) throw new IllegalStateException(key + " has no value");
        return v;
    }

    @Override
    public long integer(String key) {
        return Long.parseLong(required(key).replace("_", ""));
    }

    @Override
    public double decimal(String key) {
        return Double.parseDouble(required(key));
    }

    @Override
    public boolean bool(String key) {
        return Boolean.parseBoolean(required(key));
    }

    @Override
    public String describe(String key) {
        return "HERALD_PLUGINS_VOICE_" + key.toUpperCase().replace('-', '_') + " (herald.plugins.voice." + key + ")";
    }
}
