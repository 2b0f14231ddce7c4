package dev.herald.runtime.plugin;

import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.config.HeraldConfig;
import java.math.BigDecimal;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One plugin's configuration, validated against its declared keys when built: a bad value or a missing required
 * key stops the boot with a message naming the key. Immutable.
 */
final class PluginSettings implements PluginConfig {
    private final String pluginId;
    private final Map<String, ConfigKey> keys = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();

    /**
     * @param entries the plugin's configured values: key name in environment form (e.g. {@code MAX_LENGTH}) → entry
     */
    PluginSettings(String pluginId, List<ConfigKey> declared, Map<String, HeraldConfig.PluginEntry> entries) {
        this.pluginId = pluginId;
        Map<String, HeraldConfig.PluginEntry> left = new LinkedHashMap<>(entries);
        for (ConfigKey k : declared) {
            if (keys.put(k.name(), k) != null) throw new ConfigException("plugin " + pluginId + " declares configuration key '" + k.name() + "' twice");
            HeraldConfig.PluginEntry e = left.remove(envSuffix(k.name()));
            String v = e == null || e.value().isBlank() ? k.defaultValue() : e.value();
            if (v == null && k.required()) throw new ConfigException(describe(k.name()) + " is required: " + k.help());
            if (v != null) values.put(k.name(), check(k, v, e == null ? describe(k.name()) : e.shownAs()));
        }
        if (!left.isEmpty()) {
            String unknown = left.values().iterator().next().shownAs();
            throw new ConfigException("Unknown configuration key " + unknown + " for plugin " + pluginId + ". Known keys: "
                    + (declared.isEmpty() ? "none besides enabled" : String.join(", ", declared.stream().map(k -> k.name()).toList()) + ", enabled"));
        }
    }

    static String envSuffix(String keyName) {
        return keyName.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
    }

    private String check(ConfigKey k, String v, String shownAs) {
        String bad = switch (k.type()) {
            case STRING -> null;
            case INTEGER -> {
                try {
                    Long.parseLong(v.replace("_", ""));
                    yield null;
                } catch (NumberFormatException e) {
                    yield "is not a whole number";
                }
            }
            case DECIMAL -> {
                try {
                    new BigDecimal(v);
                    yield null;
                } catch (NumberFormatException e) {
                    yield "is not a number";
                }
            }
            case BOOLEAN -> v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false") ? null : "is not true or false";
            case URL -> {
                try {
                    URI u = URI.create(v);
                    yield u.getScheme() != null && (u.getScheme().equals("http") || u.getScheme().equals("https") || u.getScheme().equals("ws")
                            || u.getScheme().equals("wss")) && u.getHost() != null ? null : "is not an absolute http(s) or ws(s) URL";
                } catch (IllegalArgumentException e) {
                    yield "is not a URL";
                }
            }
        };
        if (bad != null) {
            throw new ConfigException("Invalid value for " + shownAs + ": " + (k.secret() ? "the value" : "'" + v + "'") + " " + bad + " (" + k.help() + ")");
        }
        return v;
    }

    @Override
    public String pluginId() {
        return pluginId;
    }

    private ConfigKey key(String name) {
        ConfigKey k = keys.get(name);
        if (k == null) throw new IllegalArgumentException("plugin " + pluginId + " did not declare configuration key '" + name + "'");
        return k;
    }

    @Override
    public String string(String name) {
        key(name);
        return values.get(name);
    }

    private String present(String name) {
        String v = string(name);
        if (v == null) throw new IllegalStateException(describe(name) + " has no value");
        return v;
    }

    @Override
    public long integer(String name) {
        return Long.parseLong(present(name).replace("_", ""));
    }

    @Override
    public double decimal(String name) {
        return Double.parseDouble(present(name));
    }

    @Override
    public boolean bool(String name) {
        return Boolean.parseBoolean(present(name));
    }

    @Override
    public String describe(String name) {
        String full = HeraldConfig.PLUGINS_PREFIX + pluginId + "." + name;
        return HeraldConfig.envName(full) + " (" + full + ")";
    }

    /** The values for display: secrets masked. */
    Map<String, String> shown() {
        Map<String, String> m = new LinkedHashMap<>();
        keys.forEach((n, k) -> m.put(n, values.get(n) == null ? null : k.secret() ? "***" : values.get(n)));
        return m;
    }
}
