package dev.herald.runtime.config;

/** A configuration value is missing or unusable; the message names the key and says what is expected. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
