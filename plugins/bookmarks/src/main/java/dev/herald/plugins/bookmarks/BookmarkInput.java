package dev.herald.plugins.bookmarks;

import dev.herald.plugins.support.JsonInput;
import dev.herald.plugins.support.ApiError;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated bookmark to add: which item, and an optional note. Pure; the checks mirror the table's constraints so a
 * bad request is refused with a readable 400 before it reaches PostgreSQL.
 *
 * @param itemType one of {@link #ITEM_TYPES}
 * @param itemId the item's id as the app knows it (opaque text, 1 to 128 characters, no whitespace)
 * @param note an optional note of at most 500 characters, or null
 */
record BookmarkInput(String itemType, String itemId, String note) {
    /** The item types a bookmark may point at. */
    static final List<String> ITEM_TYPES = List.of("challenge", "idea", "event", "opportunity", "partner");

    /** Reads and checks a request body ({@code item_type}, {@code item_id}, optional {@code note}). */
    static BookmarkInput parse(Map<String, Object> body) {
        Map<String, Object> copy = body == null ? null : new HashMap<>(body);
        // Ids are often numbers in the apps (challenge 42); accept them and keep the text form.
        if (copy != null && (copy.get("item_id") instanceof Integer || copy.get("item_id") instanceof Long)) {
            copy.put("item_id", copy.get("item_id").toString());
        }
        JsonInput in = JsonInput.of(copy, Set.of("item_type", "item_id", "note"));
        String type = in.requiredChoice("item_type", ITEM_TYPES);
        String id = in.requiredText("item_id", 128);
        checkItemId(id);
        return new BookmarkInput(type, id, in.optionalText("note", 500));
    }

    /** Refuses ids with whitespace or control characters: they are always a client bug. */
    static void checkItemId(String id) {
        for (int i = 0; i < id.length(); i++) {
            if (Character.isWhitespace(id.charAt(i)) || Character.isISOControl(id.charAt(i))) {
                throw ApiError.invalid("item_id must not contain whitespace or control characters");
            }
        }
    }
}
