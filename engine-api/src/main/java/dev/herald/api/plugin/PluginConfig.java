package dev.herald.api.plugin;

/**
 * A plugin's configuration values, already checked against its {@link ConfigKey}s (so {@link #integer} never fails
 * on a declared INTEGER key that has a value). Asking for an undeclared key throws {@link IllegalArgumentException}.
 * Immutable and thread-safe.
 */
public interface PluginConfig {
    /** The plugin's id. */
    String pluginId();

    /** The value, the default when none is configured, or null when neither exists. */
    String string(String key);

    /** The value as a whole number; {@link IllegalStateException} when it has neither a value nor a default. */
    long integer(String key);

    /** The value as a number; {@link IllegalStateException} when it has neither a value nor a default. */
    double decimal(String key);

    /** The value as a boolean; {@link IllegalStateException} when it has neither a value nor a default. */
    boolean bool(String key);

    /** How to name the key in an error message, e.g. {@code HERALD_PLUGINS_VOICE_API_KEY (herald.plugins.voice.api-key)}. */
    String describe(String key);
}
