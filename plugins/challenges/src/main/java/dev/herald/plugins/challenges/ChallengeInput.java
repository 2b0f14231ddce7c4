package dev.herald.plugins.challenges;

import dev.herald.plugins.support.JsonInput;
import dev.herald.plugins.support.ApiError;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated challenge body, for creation (title required) or update (only the fields given). Pure.
 *
 * @param title 1 to 200 characters, or null when an update leaves it
 * @param description up to 10000 characters, or null when absent
 * @param sections the section names collaborators edit (at most 50 distinct names of at most 100 characters), or null
 * @param status {@code open} or {@code closed} (update only), or null
 */
record ChallengeInput(String title, String description, List<String> sections, String status) {
    static final List<String> STATUSES = List.of("open", "closed");
    private static final Set<String> CREATE_FIELDS = Set.of("title", "description", "sections");
    private static final Set<String> UPDATE_FIELDS = Set.of("title", "description", "sections", "status");

    static ChallengeInput forCreate(Map<String, Object> body) {
        JsonInput in = JsonInput.of(body, CREATE_FIELDS);
        return new ChallengeInput(in.requiredText("title", 200), in.optionalText("description", 10000),
                in.optionalTextList("sections", 50, 100), null);
    }

    static ChallengeInput forUpdate(Map<String, Object> body) {
        JsonInput in = JsonInput.of(body, UPDATE_FIELDS);
        if (body.isEmpty()) throw ApiError.invalid("nothing to change: give at least one of " + UPDATE_FIELDS.stream().sorted().toList());
        return new ChallengeInput(in.optionalText("title", 200), in.optionalText("description", 10000),
                in.optionalTextList("sections", 50, 100), in.optionalChoice("status", STATUSES));
    }

    /** The text of a new submission: {@code {"content": "..."}}, 1 to 20000 characters. */
    static String submission(Map<String, Object> body) {
        return JsonInput.of(body, Set.of("content")).requiredText("content", 20000);
    }
}
