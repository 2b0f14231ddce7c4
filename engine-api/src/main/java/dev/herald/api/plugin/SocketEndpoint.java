package dev.herald.api.plugin;

import jakarta.websocket.Endpoint;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A WebSocket endpoint of a plugin at {@code /plugins/<id>/<path>}.
 *
 * <h2>Authentication</h2>
 * Herald checks the engine's JWT before the upgrade: browsers cannot set headers, so the token comes as the query
 * parameter {@code access_token} (or {@code apikey}), or as a subprotocol {@code herald-jwt.<token>} offered next to
 * one of {@link #subprotocols()}. Without a valid token the upgrade is refused with HTTP 401 and a JSON body, and the
 * endpoint is never created. The verified {@link dev.herald.api.policy.Principal} is in
 * {@code session.getUserProperties().get(SocketEndpoint.PRINCIPAL)} when {@link Endpoint#onOpen} runs.
 *
 * <h2>Instances</h2>
 * {@link #factory()} is called once per connection; the endpoint instance serves that connection only. Jakarta
 * WebSocket rules apply: one message at a time per connection, any thread.
 *
 * @param path the path below {@code /plugins/<id>/}, e.g. {@code relay} (letters, digits, {@code -}, {@code /})
 * @param factory creates the endpoint of one connection
 * @param subprotocols subprotocols the endpoint speaks (the first one the client offers is selected); may be empty
 * @param maxMessageBytes the largest text or binary message accepted
 */
public record SocketEndpoint(String path, Supplier<? extends Endpoint> factory, List<String> subprotocols, int maxMessageBytes) {
    /** The key of the verified {@link dev.herald.api.policy.Principal} in the session's user properties. */
    public static final String PRINCIPAL = "herald.principal";
    /** The key of the raw JWT in the session's user properties (to re-check it or pass it on). */
    public static final String TOKEN = "herald.token";
    /** The subprotocol prefix that carries a JWT. */
    public static final String TOKEN_SUBPROTOCOL_PREFIX = "herald-jwt.";

    public SocketEndpoint {
        Objects.requireNonNull(factory, "factory");
        if (path == null || !path.matches("[a-z0-9][a-z0-9/-]{0,62}")) throw new IllegalArgumentException("invalid endpoint path '" + path + "'");
        subprotocols = List.copyOf(subprotocols);
        if (maxMessageBytes <= 0) throw new IllegalArgumentException("maxMessageBytes must be positive");
    }
}
