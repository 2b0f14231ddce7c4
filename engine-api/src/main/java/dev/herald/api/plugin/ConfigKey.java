package dev.herald.api.plugin;

import java.util.Objects;

/**
 * One configuration key of a plugin: {@code herald.plugins.<id>.<name>} as a system property or in the configuration
 * file, {@code HERALD_PLUGINS_<ID>_<NAME>} (upper case, {@code -} and {@code .} as {@code _}) in the environment.
 * Values are checked against {@link #type()} before {@link Plugin#init} runs.
 *
 * @param name the key below the plugin's prefix: lower case, digits and {@code -} ({@code api-key}, {@code max-batch})
 * @param type how the value is parsed and checked
 * @param defaultValue the value when none is configured, or null for none (then {@link PluginConfig#string} returns
 *                     null and {@link #required()} decides whether that is an error)
 * @param help one sentence for the configuration reference
 * @param required whether the boot stops when neither a value nor a default exists
 * @param secret whether the value must never be logged or shown (shown as {@code ***})
 */
public record ConfigKey(String name, Type type, String defaultValue, String help, boolean required, boolean secret) {

    /** How a value is parsed. */
    public enum Type {
        /** Any text. */
        STRING,
        /** A whole number (underscores allowed as separators). */
        INTEGER,
        /** A number with an optional fraction. */
        DECIMAL,
        /** {@code true} or {@code false}. */
        BOOLEAN,
        /** An absolute http(s) URL. */
        URL
    }

    public ConfigKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(help, "help");
        if (!name.matches("[a-z][a-z0-9-]{0,62}") || name.equals("enabled")) {
            throw new IllegalArgumentException("invalid configuration key name '" + name + "' (lower case, digits, '-'; 'enabled' is reserved)");
        }
    }

    /** An optional key with a default. */
    public static ConfigKey of(String name, Type type, String defaultValue, String help) {
        return new ConfigKey(name, type, defaultValue, help, false, false);
    }

    /** A secret (never logged), optional unless the plugin says otherwise in {@link Plugin#init}. */
    public static ConfigKey secret(String name, String help) {
        return new ConfigKey(name, Type.STRING, null, help, false, true);
    }
}
