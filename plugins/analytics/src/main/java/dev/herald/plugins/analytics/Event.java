package dev.herald.plugins.analytics;

import java.time.Instant;

/**
 * One validated analytics event.
 *
 * @param type a known event type
 * @param userId the user it concerns, or null (anonymous)
 * @param occurredAt when it happened (the client's {@code at}, or when Herald received it)
 * @param propertiesJson its properties as a JSON object text
 * @param seconds the numeric {@code seconds} property, or 0 (voice sessions sum it)
 */
record Event(String type, String userId, Instant occurredAt, String propertiesJson, double seconds) {
}
