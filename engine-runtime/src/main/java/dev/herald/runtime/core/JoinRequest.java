package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * The {@code phx_join} payload, parsed as leniently as the reference server does: booleans may be JSON booleans or
 * the strings "true"/"false" in any case, the presence key may be a number, {@code null} entries are skipped, and
 * anything unparseable falls back to the default rather than failing the join.
 */
record JoinRequest(boolean self, boolean ack, boolean presenceEnabled, String presenceKey, boolean isPrivate,
                   ArrayNode postgresChanges, String accessToken, boolean waitForPostgres, long waitTimeoutMs,
                   String resumeBroadcast, String resumeChanges) {
    /** The longest a join reply is held for postgres_changes (reference branch: 20 s). */
    static final long MAX_WAIT_MS = 20_000;

    static JoinRequest parse(JsonNode payload) {
        JsonNode config = payload != null && payload.isObject() ? payload.path("config") : Json.object();
        JsonNode broadcast = config.path("broadcast");
        JsonNode presence = config.path("presence");
        ArrayNode changes = Json.NODES.arrayNode();
        JsonNode pg = config.path("postgres_changes");
        if (pg.isArray()) {
            for (JsonNode entry : pg) {
                if (entry == null || !entry.isObject()) continue;
                ObjectNode echoed = ((ObjectNode) entry).deepCopy();
                echoed.put("id", bindingId(entry));
                changes.add(echoed);
            }
        }
        String token = text(payload == null ? null : payload.get("user_token"));
        if (token == null) token = text(payload == null ? null : payload.get("access_token"));
        JsonNode key = presence.path("key");
        String presenceKey = key.isTextual() || key.isNumber() ? key.asText() : "";
        JsonNode options = config.path("postgres_changes_options");
        long timeout = options.path("timeout").canConvertToLong() ? options.path("timeout").asLong() : 15_000;
        // Herald's resume extension lives inside config.broadcast, where realtime-js keeps unknown keys on rejoin.
        JsonNode resume = broadcast.path("herald_resume");
        return new JoinRequest(bool(broadcast.get("self")), bool(broadcast.get("ack")), bool(presence.get("enabled")),
                presenceKey, bool(config.get("private")), changes, token, bool(options.get("wait")),
                Math.max(100, Math.min(timeout, MAX_WAIT_MS)), text(resume.get("broadcast")), text(resume.get("changes")));
    }

    /**
     * A stable non-negative id (below 2^27, like the reference) for one postgres_changes binding: equal parameters
     * give equal ids, which is all the client relies on.
     */
    static int bindingId(JsonNode entry) {
        String canonical = String.join("\u0000", field(entry, "event").toUpperCase(Locale.ROOT), field(entry, "schema"),
                field(entry, "table"), field(entry, "filter"));
        CRC32 crc = new CRC32();
        crc.update(canonical.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() & 0x7FFFFFF);
    }

    private static String field(JsonNode entry, String name) {
        JsonNode v = entry.get(name);
        return v == null || v.isNull() ? "" : v.asText();
    }

    private static boolean bool(JsonNode n) {
        if (n == null) return false;
        if (n.isBoolean()) return n.booleanValue();
        return n.isTextual() && n.asText().equalsIgnoreCase("true");
    }

    private static String text(JsonNode n) {
        return n != null && n.isTextual() ? n.asText() : null;
    }
}
