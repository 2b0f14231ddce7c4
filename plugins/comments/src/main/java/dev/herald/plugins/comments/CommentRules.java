package dev.herald.plugins.comments;

import java.util.regex.Pattern;

/** What the comments plugin accepts as item addresses, bodies and emoji. Stateless, thread-safe. */
final class CommentRules {
    /** {@code challenge}, {@code event}, ...: it becomes a channel topic segment and a filter value. */
    static final Pattern ITEM_TYPE = Pattern.compile("[a-z][a-z0-9_-]{0,63}");
    /** Letters, digits, {@code _} and {@code -} (uuids and numbers fit): no {@code :} (topic separator) nor {@code ,}. */
    static final Pattern ITEM_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    static final int MAX_EMOJI_CODE_POINTS = 16;

    private final int maxBody;

    CommentRules(int maxBody) {
        this.maxBody = maxBody;
    }

    int maxBody() {
        return maxBody;
    }

    /** The problem with an item address, or null when it is fine. */
    static String checkItem(String type, String id) {
        if (type == null || !ITEM_TYPE.matcher(type).matches()) {
            return "item type must be lower-case letters, digits, '_' or '-', starting with a letter (at most 64)";
        }
        if (id == null || !ITEM_ID.matcher(id).matches()) return "item id must be 1 to 128 letters, digits, '_' or '-'";
        return null;
    }

    /** The problem with a comment body, or null. */
    String checkBody(String body) {
        if (body == null || body.isBlank()) return "body is required and must not be blank";
        if (body.codePointCount(0, body.length()) > maxBody) return "body is longer than " + maxBody + " characters";
        return null;
    }

    /**
     * The problem with an emoji, or null: 1 to 16 code points, no whitespace and no control or ASCII letters/digits,
     * so {@code 👍}, {@code ❤️} and {@code 🎉} pass, and {@code like} or {@code <script>} do not.
     */
    static String checkEmoji(String emoji) {
        if (emoji == null || emoji.isEmpty()) return "emoji is required";
        int n = emoji.codePointCount(0, emoji.length());
        if (n > MAX_EMOJI_CODE_POINTS) return "emoji is longer than " + MAX_EMOJI_CODE_POINTS + " code points";
        boolean ok = emoji.codePoints().allMatch(cp -> cp > 0x7f && !Character.isWhitespace(cp) && !Character.isISOControl(cp)
                && Character.getType(cp) != Character.SPACE_SEPARATOR);
        return ok ? null : "emoji must be emoji characters only (no letters, digits, spaces or punctuation from ASCII)";
    }

    /** The discussion channel of an item (sub-topic). */
    static String topic(String type, String id) {
        return "discussion:" + type + ":" + id;
    }
}
