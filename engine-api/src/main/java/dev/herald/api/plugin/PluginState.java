package dev.herald.api.plugin;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a plugin reports about itself to the admin console ({@link ReportsState}). Immutable.
 *
 * @param health how the plugin is doing
 * @param summary one line for an operator, e.g. {@code no API key: set HERALD_PLUGINS_VOICE_API_KEY}; at most
 *                {@value #MAX_TEXT} characters (longer text is cut)
 * @param figures a few live figures, name → a {@link Number}, {@link String} or {@link Boolean}, shown in this order;
 *                at most {@value #MAX_FIGURES} entries; names are snake_case ({@code [a-z][a-z0-9_]*}, at most 64
 *                characters, e.g. {@code open_relays}: JSON clients read them as keys, the console shows them with
 *                spaces); text figures at most {@value #MAX_TEXT} characters
 */
public record PluginState(Health health, String summary, Map<String, Object> figures) {
    /** The most figures a state may carry. */
    public static final int MAX_FIGURES = 16;
    /** The longest summary, figure name or text figure, in characters. */
    public static final int MAX_TEXT = 200;
    private static final Pattern FIGURE_NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    /** How a plugin is doing. */
    public enum Health {
        /** Working. */
        OK,
        /** Running but unable to do its job until an operator configures it (e.g. a missing API key). */
        NOT_CONFIGURED,
        /** Working in part: e.g. an upstream is failing and requests are refused. */
        DEGRADED,
        /** Not working. */
        FAILED
    }

    public PluginState {
        Objects.requireNonNull(health, "health");
        summary = cut(summary == null ? "" : summary);
        Map<String, Object> copy = new LinkedHashMap<>();
        if (figures != null) {
            if (figures.size() > MAX_FIGURES) throw new IllegalArgumentException("at most " + MAX_FIGURES + " figures, got " + figures.size());
            figures.forEach((name, value) -> {
                if (name == null || !FIGURE_NAME.matcher(name).matches()) {
                    throw new IllegalArgumentException("figure names are snake_case ([a-z][a-z0-9_]*, at most 64 characters), got '" + name + "'");
                }
                if (!(value instanceof Number || value instanceof Boolean || value instanceof String)) {
                    throw new IllegalArgumentException("figure '" + name + "' must be a number, boolean or string, got " + value);
                }
                copy.put(name, value instanceof String s ? cut(s) : value);
            });
        }
        figures = Collections.unmodifiableMap(copy);
    }

    /** Working, with one line and no figures. */
    public static PluginState ok(String summary) {
        return new PluginState(Health.OK, summary, Map.of());
    }

    /** Waiting for an operator to configure it; {@code summary} says what is missing. */
    public static PluginState notConfigured(String summary) {
        return new PluginState(Health.NOT_CONFIGURED, summary, Map.of());
    }

    /** This state with one more figure (after the existing ones). */
    public PluginState with(String name, Object value) {
        Map<String, Object> more = new LinkedHashMap<>(figures);
        more.put(name, value);
        return new PluginState(health, summary, more);
    }

    private static String cut(String s) {
        return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT - 1) + "…";
    }
}
