package dev.herald.plugins.analytics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Checks a whole ingestion batch before anything is written, so a bad batch changes nothing. Thread-safe (stateless
 * apart from its configuration).
 *
 * <p>A batch is {@code {"events": [...]}} with 1 to {@code maxBatch} events. An event is an object with exactly these
 * fields: {@code type} (required, a known type), {@code user_id} (optional string), {@code at} (optional ISO-8601
 * timestamp with offset, not older than {@code maxAge} and at most five minutes ahead), {@code properties} (optional
 * object; the type's required properties must be non-empty strings or numbers; at most {@code maxPropertiesBytes} of
 * JSON).
 *
 * <p>Who may name which user: a {@code service_role} caller may set any {@code user_id} (a backend forwarding its
 * users' events); any other caller's events concern itself only, so {@code user_id} must be absent (then it becomes
 * the token's {@code sub}) or equal to that {@code sub}.
 */
final class BatchValidator {
    static final Set<String> FIELDS = Set.of("type", "user_id", "at", "properties");
    static final Duration MAX_SKEW_AHEAD = Duration.ofMinutes(5);
    static final int MAX_USER_ID = 128;

    private final ObjectMapper json;
    private final EventTypes types;
    private final int maxBatch;
    private final int maxPropertiesBytes;
    private final Duration maxAge;

    BatchValidator(ObjectMapper json, EventTypes types, int maxBatch, int maxPropertiesBytes, Duration maxAge) {
        this.json = json;
        this.types = types;
        this.maxBatch = maxBatch;
        this.maxPropertiesBytes = maxPropertiesBytes;
        this.maxAge = maxAge;
    }

    int maxBatch() {
        return maxBatch;
    }

    /**
     * The batch's events, all valid.
     *
     * @param body the request body
     * @param role the caller's role claim
     * @param subject the caller's {@code sub}, or null
     * @param now the receive time (default {@code at})
     * @throws InvalidBatch naming the first problem
     */
    List<Event> validate(String body, String role, String subject, Instant now) throws InvalidBatch {
        // Bound the parse: no valid batch is longer than max-batch full events (each field near its limit).
        long maxChars = (long) maxBatch * (maxPropertiesBytes + 512L) + 64;
        if (body != null && body.length() > maxChars) {
            throw new InvalidBatch(413, -1, "the body has " + body.length() + " characters; a batch of at most " + maxBatch + " events is at most " + maxChars);
        }
        JsonNode root;
        try {
            root = body == null || body.isBlank() ? null : json.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InvalidBatch(400, -1, "the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new InvalidBatch(400, -1, "the body must be a JSON object {\"events\": [...]}");
        JsonNode events = root.get("events");
        if (events == null || !events.isArray()) throw new InvalidBatch(400, -1, "'events' must be an array of event objects");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("events")) throw new InvalidBatch(400, -1, "unknown field '" + f + "' (the body holds 'events' only)");
        }
        if (events.isEmpty()) throw new InvalidBatch(400, -1, "'events' is empty");
        if (events.size() > maxBatch) {
            throw new InvalidBatch(413, -1, "the batch has " + events.size() + " events; at most " + maxBatch + " are accepted per request");
        }
        boolean service = "service_role".equals(role);
        List<Event> out = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) out.add(event(i, events.get(i), service, subject, now));
        return out;
    }

    private Event event(int i, JsonNode e, boolean service, String subject, Instant now) throws InvalidBatch {
        String at = "events[" + i + "]";
        if (e == null || !e.isObject()) throw bad(i, at + " must be an object");
        for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) throw bad(i, at + " has the unknown field '" + f + "' (allowed: type, user_id, at, properties)");
        }
        JsonNode typeNode = e.get("type");
        if (typeNode == null || typeNode.isNull()) throw bad(i, at + ".type is required");
        if (!typeNode.isTextual()) throw bad(i, at + ".type must be a string");
        String type = typeNode.asText();
        if (!types.known(type)) throw bad(i, at + ".type '" + clip(type) + "' is not a known event type (known: " + String.join(", ", types.names()) + ")");

        String userId = null;
        JsonNode u = e.get("user_id");
        if (u != null && !u.isNull()) {
            if (!u.isTextual() || u.asText().isEmpty() || u.asText().length() > MAX_USER_ID) {
                throw bad(i, at + ".user_id must be a non-empty string of at most " + MAX_USER_ID + " characters");
            }
            userId = u.asText();
        }
        if (!service) {
            if (userId != null && !userId.equals(subject)) {
                throw new InvalidBatch(403, i, at + ".user_id names another user; only the service role may record events for other users");
            }
            userId = subject;
        }

        Instant when = now;
        JsonNode a = e.get("at");
        if (a != null && !a.isNull()) {
            if (!a.isTextual()) throw bad(i, at + ".at must be an ISO-8601 timestamp string");
            try {
                when = OffsetDateTime.parse(a.asText()).toInstant();
            } catch (DateTimeParseException ex) {
                throw bad(i, at + ".at '" + clip(a.asText()) + "' is not an ISO-8601 timestamp with offset (e.g. 2026-01-31T12:00:00Z)");
            }
            if (when.isAfter(now.plus(MAX_SKEW_AHEAD))) throw bad(i, at + ".at lies more than 5 minutes in the future");
            if (when.isBefore(now.minus(maxAge))) throw bad(i, at + ".at is older than " + maxAge.toHours() + " hours");
        }

        JsonNode p = e.get("properties");
        String propertiesJson = "{}";
        double seconds = 0;
        if (p != null && !p.isNull()) {
            if (!p.isObject()) throw bad(i, at + ".properties must be an object");
            propertiesJson = p.toString();
            if (propertiesJson.getBytes(StandardCharsets.UTF_8).length > maxPropertiesBytes) {
                throw bad(i, at + ".properties is larger than " + maxPropertiesBytes + " bytes of JSON");
            }
        }
        for (String key : types.requiredProperties(type)) {
            JsonNode v = p == null ? null : p.get(key);
            boolean ok = v != null && ((v.isTextual() && !v.asText().isBlank()) || v.isNumber());
            if (!ok) throw bad(i, at + ".properties." + key + " is required for type '" + type + "' (a non-empty string or a number)");
        }
        if (p != null && p.has("seconds")) {
            JsonNode s = p.get("seconds");
            if (!s.isNumber() || s.asDouble() < 0 || !Double.isFinite(s.asDouble())) throw bad(i, at + ".properties.seconds must be a non-negative number");
            seconds = s.asDouble();
        }
        return new Event(type, userId, when, propertiesJson, seconds);
    }

    private static InvalidBatch bad(int index, String message) {
        return new InvalidBatch(400, index, message);
    }

    private static String clip(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "…";
    }
}
