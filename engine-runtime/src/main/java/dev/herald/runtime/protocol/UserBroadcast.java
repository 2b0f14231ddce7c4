package dev.herald.runtime.protocol;

import java.nio.charset.StandardCharsets;

/**
 * A broadcast whose payload travels as raw bytes: a vsn-2 binary push (kind 3), the single REST endpoint, or the
 * database. {@code payload} is UTF-8 JSON when {@code json} is true, otherwise opaque binary.
 * {@code metadata} is a UTF-8 JSON object or empty.
 */
public record UserBroadcast(String event, boolean json, byte[] payload, byte[] metadata) {
    public static final byte[] NO_METADATA = new byte[0];

    public static UserBroadcast ofJson(String event, String json) {
        return new UserBroadcast(event, true, json.getBytes(StandardCharsets.UTF_8), NO_METADATA);
    }
}
