package dev.herald.plugins.voice;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The few top-level fields of a Realtime event the relay needs, read with a streaming parser so that audio payloads
 * are measured but never copied or decoded. The frame itself is forwarded untouched; this is a side read.
 *
 * @param type the event's {@code type}, or null when the frame is not a JSON object with one
 * @param itemId {@code item_id}, or null
 * @param transcript {@code transcript}, or null
 * @param sessionId {@code session.id} (of {@code session.created}), or null
 * @param audioBytes decoded size of the base64 {@code audio} or {@code delta} field, 0 when there is none
 */
record EventPeek(String type, String itemId, String transcript, String sessionId, long audioBytes) {
    private static final JsonFactory JSON = new JsonFactory();
    static final EventPeek NONE = new EventPeek(null, null, null, null, 0);

    /** Reads {@code frame}; {@link #NONE} when it is not a JSON object. */
    static EventPeek of(String frame) {
        String type = null, itemId = null, transcript = null, sessionId = null;
        long base64Bytes = 0;
        try (JsonParser p = JSON.createParser(frame)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return NONE;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_STRING) {
                    switch (name) {
                        case "type" -> type = p.getText();
                        case "item_id" -> itemId = p.getText();
                        case "transcript" -> transcript = p.getText();
                        case "audio", "delta" -> base64Bytes = decodedLength(p);
                        default -> { }
                    }
                } else if (value == JsonToken.START_OBJECT && name.equals("session")) {
                    sessionId = sessionId(p);
                } else {
                    p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) return NONE;
        } catch (IOException | RuntimeException malformed) {
            return NONE;
        }
        return new EventPeek(type, itemId, transcript, sessionId, base64Bytes);
    }

    /** Reads the {@code id} of a {@code session} object, leaving the parser at its end. */
    private static String sessionId(JsonParser p) throws IOException {
        String id = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (name.equals("id") && value == JsonToken.VALUE_STRING) id = p.getText();
            else p.skipChildren();
        }
        return id;
    }

    /** Bytes that a base64 string (the parser's current token) decodes to, without decoding it. */
    private static long decodedLength(JsonParser p) throws IOException {
        char[] chars = p.getTextCharacters();
        int offset = p.getTextOffset();
        int len = p.getTextLength();
        int padding = 0;
        if (len > 0 && chars[offset + len - 1] == '=') padding++;
        if (len > 1 && chars[offset + len - 2] == '=') padding++;
        return Math.max(0, (long) len / 4 * 3 + (len % 4 == 0 ? 0 : Math.max(0, len % 4 - 1)) - padding);
    }
}
