package dev.herald.plugins.events;

import dev.herald.plugins.support.JsonInput;
import dev.herald.plugins.support.ApiError;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Set;

/**
 * A validated event body, for creation (every required field present) or update (only the fields given). Pure.
 *
 * @param title 1 to 200 characters, or null when an update leaves it
 * @param description up to 4000 characters, or null when absent
 * @param startsAt an ISO-8601 timestamp with offset, or null when absent
 * @param capacity 1 to {@link #MAX_CAPACITY}, or null when an update leaves it
 */
record EventInput(String title, String description, OffsetDateTime startsAt, Integer capacity) {
    static final int MAX_CAPACITY = 100_000;
    private static final Set<String> FIELDS = Set.of("title", "description", "starts_at", "capacity");

    /** A new event: {@code title} and {@code capacity} are required. */
    static EventInput forCreate(Map<String, Object> body) {
        JsonInput in = JsonInput.of(body, FIELDS);
        return new EventInput(in.requiredText("title", 200), in.optionalText("description", 4000), startsAt(in),
                (int) in.requiredLong("capacity", 1, MAX_CAPACITY));
    }

    /** A change: at least one field; a capacity below the current count is refused later, under the row lock. */
    static EventInput forUpdate(Map<String, Object> body) {
        JsonInput in = JsonInput.of(body, FIELDS);
        if (body.isEmpty()) throw ApiError.invalid("nothing to change: give at least one of " + FIELDS);
        Long capacity = in.optionalLong("capacity", 1, MAX_CAPACITY);
        return new EventInput(in.optionalText("title", 200), in.optionalText("description", 4000), startsAt(in),
                capacity == null ? null : capacity.intValue());
    }

    private static OffsetDateTime startsAt(JsonInput in) {
        String raw = in.optionalText("starts_at", 64);
        if (raw == null) return null;
        try {
            return OffsetDateTime.parse(raw);
        } catch (DateTimeParseException e) {
            throw ApiError.invalid("starts_at must be an ISO-8601 timestamp with offset, e.g. 2026-05-01T18:00:00Z");
        }
    }
}
