package dev.herald.runtime.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One decoded client message. Exactly one of {@code payload} (JSON pushes) and {@code userBroadcast} (binary kind 3)
 * is non-null. {@code joinRef} and {@code ref} are opaque strings and may be {@code null}.
 */
public record InboundMessage(String joinRef, String ref, String topic, String event, JsonNode payload,
                             UserBroadcast userBroadcast) {
}
