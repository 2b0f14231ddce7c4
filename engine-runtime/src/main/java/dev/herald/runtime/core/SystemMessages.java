package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.protocol.Json;

/**
 * Builds the payload of every {@code system} push a channel receives ({@code extension}, {@code status},
 * {@code message}, {@code channel}, and for recovery notices {@code recovered} and {@code stream}). The field order is
 * part of the wire format clients see, so it is fixed here once.
 *
 * <p>Stateless and thread-safe; each call returns a new payload owned by the caller.
 */
final class SystemMessages {
    /** Start of the expiry notice text (a Herald addition; status ok, so clients treat it as information). */
    static final String TOKEN_EXPIRES_SOON = "Token expires in ";

    private SystemMessages() {
    }

    /** The channel is ended for {@code message}; a {@code phx_close} follows. */
    static ObjectNode channelError(String subTopic, String message) {
        return system("system", "error", message, subTopic);
    }

    /** First step of a graceful drain: the server is going away. */
    static ObjectNode serverDisconnect(String subTopic) {
        return system("system", "ok", "Server requested disconnect", subTopic);
    }

    /** The channel's token expires in {@code secondsLeft}: the client should send a fresh access_token. */
    static ObjectNode tokenExpiresSoon(String subTopic, long secondsLeft) {
        return system("system", "ok", TOKEN_EXPIRES_SOON + secondsLeft + " seconds; send a fresh access_token to stay subscribed", subTopic);
    }

    /** The outcome of a resume on {@code stream} ({@code broadcast} or {@code changes}). */
    static ObjectNode recovery(String subTopic, String stream, boolean recovered, int count) {
        ObjectNode system = system("system", "ok", recovered ? "Recovered " + count + " messages"
                : "Could not recover: the position is outside the retention window; refetch the current state", subTopic);
        system.put("recovered", recovered);
        system.put("stream", stream);
        return system;
    }

    /** Whether the channel's postgres_changes bindings are live, and why not. */
    static ObjectNode postgresChanges(String subTopic, boolean ok, String message) {
        return system("postgres_changes", ok ? "ok" : "error", message, subTopic);
    }

    private static ObjectNode system(String extension, String status, String message, String subTopic) {
        ObjectNode system = Json.object();
        system.put("extension", extension);
        system.put("status", status);
        system.put("message", message);
        system.put("channel", subTopic);
        return system;
    }
}
