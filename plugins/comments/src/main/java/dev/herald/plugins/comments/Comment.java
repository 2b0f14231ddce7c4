package dev.herald.plugins.comments;

import java.util.Map;

/**
 * A comment as the REST API returns it.
 *
 * @param id its id
 * @param item_type the item's type
 * @param item_id the item's id
 * @param parent_id the comment it answers, or null for a top-level comment
 * @param author the author's {@code sub}
 * @param body the text; empty once deleted
 * @param created_at when it was posted (ISO-8601)
 * @param edited_at when it was last edited, or null
 * @param deleted whether it was deleted (soft delete)
 * @param reactions emoji → how many users reacted with it
 */
public record Comment(long id, String item_type, String item_id, Long parent_id, String author, String body, String created_at,
                      String edited_at, boolean deleted, Map<String, Long> reactions) {
}
