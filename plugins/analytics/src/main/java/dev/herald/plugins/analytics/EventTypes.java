package dev.herald.plugins.analytics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The event types the ingestion endpoint accepts, each with the properties it requires. The built-in types feed the
 * live metrics; extra types (configuration {@code extra-event-types}) are stored, counted per type and rolled up, but
 * have no live metric of their own. Immutable, thread-safe.
 */
final class EventTypes {
    static final String PAGE_VIEW = "page_view";
    static final String USER_ACTION = "user_action";
    static final String CHALLENGE_VIEW = "challenge_view";
    static final String SUBMISSION_CREATED = "submission_created";
    static final String EVENT_VIEW = "event_view";
    static final String VOICE_SESSION = "voice_session";

    static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    private static final Map<String, List<String>> BUILT_IN;

    static {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put(PAGE_VIEW, List.of("path"));
        m.put(USER_ACTION, List.of("action"));
        m.put(CHALLENGE_VIEW, List.of("challenge_id"));
        m.put(SUBMISSION_CREATED, List.of("challenge_id", "submission_id"));
        m.put(EVENT_VIEW, List.of("event_id"));
        m.put(VOICE_SESSION, List.of("seconds"));
        BUILT_IN = Collections.unmodifiableMap(m);
    }

    private final Map<String, List<String>> required;

    private EventTypes(Map<String, List<String>> required) {
        this.required = required;
    }

    static EventTypes builtIn() {
        return new EventTypes(BUILT_IN);
    }

    /**
     * The built-in types plus {@code extra}, a comma-separated list of type names without required properties.
     *
     * @throws IllegalArgumentException naming the bad entry
     */
    static EventTypes withExtra(String extra) {
        Map<String, List<String>> m = new LinkedHashMap<>(BUILT_IN);
        if (extra != null) {
            for (String raw : extra.split(",")) {
                String t = raw.strip();
                if (t.isEmpty()) continue;
                if (!NAME.matcher(t).matches()) {
                    throw new IllegalArgumentException("'" + t + "' is not an event type name (lower case letters, digits and '_', starting with a letter)");
                }
                m.putIfAbsent(t, List.of());
            }
        }
        return new EventTypes(Collections.unmodifiableMap(m));
    }

    boolean known(String type) {
        return required.containsKey(type);
    }

    /** The properties an event of {@code type} must carry (each a non-empty string or a number). */
    List<String> requiredProperties(String type) {
        return required.getOrDefault(type, List.of());
    }

    Set<String> names() {
        return required.keySet();
    }
}
