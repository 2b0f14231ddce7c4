package dev.herald.api;

import java.util.Locale;

/**
 * The one catalogue of every refusal, shutdown and drop Herald can produce.
 *
 * <p>Where Supabase Realtime has an equivalent, {@link #code()} and {@link #message()} are its exact wire strings, so
 * existing clients keep matching on them. A join error reply carries {@link #reason(Object...)} ({@code "Code: message"});
 * a channel shutdown ({@code system} event) and a refused HTTP upgrade carry {@link #message(Object...)} alone.
 * Every constant also names a metric tag ({@link #tag()}) under which drops and refusals are counted.
 *
 * <p>Thread-safety: immutable.
 */
public enum ErrorCode {
    // Phoenix-level replies (no operational code prefix on the wire).
    UNMATCHED_TOPIC(null, "unmatched topic"),
    PAYLOAD_SIZE_EXCEEDED(null, "payload_size_exceeded"),
    PRESENCE_PAYLOAD_NOT_MAP(null, "Presence track payload must be a map"),

    // Join refusals.
    TOPIC_NAME_REQUIRED("TopicNameRequired", "You must provide a topic name"),
    /** A Herald addition: PostgreSQL text (the durable replay store, realtime.messages) cannot hold a NUL character. */
    TOPIC_NAME_INVALID("TopicNameInvalid", "Topic names may not contain the NUL character"),
    REALTIME_RESTARTING("RealtimeRestarting", "Realtime is restarting, please standby"),
    UNAUTHORIZED_CHANNEL("Unauthorized", "You do not have permissions to read from this Channel topic: %s"),
    TOKEN_EXPIRED("InvalidJWTToken", "Token has expired %d seconds ago"),
    TOKEN_CLAIMS_MISSING("InvalidJWTToken", "Fields `role` and `exp` are required in JWT"),
    TOKEN_EXPIRATION_INVALID("InvalidJWTToken", "Token expiration time is invalid"),
    TOKEN_MALFORMED("MalformedJWT", "The token provided is not a valid JWT"),
    TOKEN_SIGNATURE_INVALID("JwtSignatureError", "Failed to validate JWT signature"),
    TOKEN_SIGNER_UNAVAILABLE("JwtSignerError", "Failed to generate JWT signer, check your JWT secret or JWKS configuration"),
    TOKEN_SIGNER_UNAVAILABLE_FOR_KID("JwtSignerError", "Failed to generate JWT signer for key ID (kid) \"%s\", check your JWT secret or JWKS configuration"),
    TOKEN_NOT_YET_VALID("InvalidJWTToken", "Token is not valid yet"),
    TOKEN_AUDIENCE_INVALID("InvalidJWTToken", "Token audience is not accepted"),
    TOKEN_ISSUER_INVALID("InvalidJWTToken", "Token issuer is not accepted"),
    PRIVATE_ONLY("PrivateOnly", "This project only allows private channels"),
    CONNECTION_RATE_LIMIT("ConnectionRateLimitReached", "Too many connected users"),
    JOIN_RATE_LIMIT("ClientJoinRateLimitReached", "Too many joins per second"),
    CHANNEL_RATE_LIMIT("ChannelRateLimitReached", "Too many channels"),

    POSTGRES_SUBSCRIBE_TIMEOUT("PostgresChangesSubscribeTimeout", "Timed out waiting for postgres_changes subscription"),
    POSTGRES_SUBSCRIBE_REFUSED("RealtimeDisabledForConfiguration", "%s"),

    // Channel shutdowns (system error + phx_close).
    EVENTS_RATE_LIMIT(null, "Too many messages per second"),
    PRESENCE_EVENTS_RATE_LIMIT(null, "Too many presence messages per second"),
    CLIENT_PRESENCE_RATE_LIMIT(null, "Client presence rate limit exceeded"),
    TRACK_SIZE_EXCEEDED(null, "Track message size exceeded"),
    READ_PERMISSION_REVOKED(null, "You do not have permissions to read from this Channel topic: %s"),

    // Silent refusals on private channels (counted, never answered, as on Supabase).
    BROADCAST_WRITE_DENIED("Unauthorized", "Broadcast write is not allowed on this private channel"),
    PRESENCE_WRITE_DENIED("Unauthorized", "Presence write is not allowed on this private channel"),
    ROW_POLICY_DENIED("Unauthorized", "A row policy withheld a change from a subscriber"),
    ROW_CHECK_FAILED("Unauthorized", "Checking a change against row-level security failed, so it was withheld from that subscriber"),
    COLUMN_PRIVILEGE_DENIED("Unauthorized", "A change was withheld from a subscriber whose role may not select the table's key columns"),

    // postgres_changes system errors (the channel stays joined).
    POSTGRES_SUBSCRIPTION_INVALID("PostgresChangesSubscription", "%s"),
    POSTGRES_CHANGES_DISABLED("PostgresChangesDisabled", "postgres_changes are not available: change capture is disabled (HERALD_CDC_ENABLED=false)"),
    POSTGRES_BINDING_FAILED("PostgresChangesBindingFailed", "Delivering changes to this subscription failed and it was removed: %s"),

    // HTTP upgrade refusals (message only on the wire, inside {"error": ...}).
    API_KEY_MISSING(null, "API key is missing"),
    CONNECT_FAILED(null, "Error connecting to Realtime"),

    // REST refusals.
    REST_UNAUTHORIZED(null, "Unauthorized"),
    REST_UNSUPPORTED_MEDIA_TYPE(null, "Unsupported Media Type. Use application/json or application/octet-stream"),
    REST_PAYLOAD_TOO_LARGE(null, "Payload size exceeds tenant limit"),
    REST_RATE_LIMIT(null, "You have exceeded your rate limit"),
    REST_BATCH_TOO_LARGE(null, "Too many messages to broadcast, please reduce the batch size"),
    REST_TOO_MANY_REQUESTS(null, "Too many requests"),

    // Drops and disconnects that only show up in logs and metrics.
    MALFORMED_MESSAGE("MalformedWebSocketMessage", "Message could not be decoded: %s"),
    UNKNOWN_EVENT("UnknownEvent", "Event %s is not handled on a joined channel"),
    UNSUPPORTED_BINARY_KIND("MalformedWebSocketMessage", "Binary frame kind %d is not accepted from clients"),
    BINARY_NOT_DELIVERABLE("BinaryNotDeliverable", "A binary payload cannot be delivered to a vsn 1.0.0 socket"),
    FRAME_NOT_ENCODABLE("FrameNotEncodable", "Topic or event is longer than 255 bytes and cannot be framed"),
    FRAME_TOO_LARGE("FrameTooLarge", "WebSocket frame exceeds %d bytes"),
    SLOW_CONSUMER("SlowConsumer", "Outbound queue is full; the client does not read fast enough"),
    OUTBOUND_BUDGET_EXCEEDED("SlowConsumer", "Server outbound memory is full; this connection was the furthest behind"),
    ADMIN_LOGIN_THROTTLED("TooManyAttempts", "Too many failed admin credentials from this address or overall; retry in %d ms"),
    PRIVATE_NOT_AUTHORIZED("Unauthorized", "Private message without an authorizing policy was not delivered"),
    IDLE_TIMEOUT("IdleTimeout", "No frame received for %d ms"),
    CHANGE_NOT_DECODABLE("ChangeNotDecodable", "Change of %s could not be decoded and was skipped (%s)"),
    CHANGE_NOT_DELIVERABLE("ChangeNotDeliverable", "Change of %s could not be fanned out and was skipped (%s)"),
    PAYLOAD_NOT_REPRESENTABLE("PayloadNotRepresentable", "The payload holds a value the protocol cannot carry: %s"),

    // Plugin channels (ChannelSpec) and plugin REST APIs ({"error": code, "message": ...} with an HTTP status).
    CHANNEL_TABLE_NOT_ALLOWED("ChannelTableNotAllowed", "Channel %s does not carry changes of %s"),
    CHANNEL_BROADCAST_NOT_ALLOWED("ChannelBroadcastNotAllowed", "Broadcast is not allowed on channel %s"),
    CHANNEL_PRESENCE_NOT_ALLOWED("ChannelPresenceNotAllowed", "Presence is not allowed on channel %s"),
    PLUGIN_INVALID_INPUT("InvalidInput", "%s"),
    PLUGIN_NOT_FOUND("NotFound", "%s"),
    PLUGIN_FORBIDDEN("Forbidden", "%s"),
    PLUGIN_CONFLICT("Conflict", "%s"),
    PLUGIN_UNAVAILABLE("Unavailable", "%s"),
    PLUGIN_RATE_LIMITED("TooManyRequests", "%s"),
    PLUGIN_METHOD_NOT_ALLOWED("MethodNotAllowed", "%s"),
    PLUGIN_INTERNAL_ERROR("InternalError", "%s"),
    PLUGIN_HOOK_FAILED("PluginHookFailed", "A table hook of plugin %s failed: %s");

    private final String code;
    private final String message;

    ErrorCode(String code, String message) {
        this.code = code;
        this.message = message;
    }

    /** The operational code prefix (e.g. {@code InvalidJWTToken}), or {@code null} when the wire string has none. */
    public String code() {
        return code;
    }

    /** The human-readable part, with {@code %s}/{@code %d} placeholders filled from {@code args}. */
    public String message(Object... args) {
        return args.length == 0 ? message : String.format(Locale.ROOT, message, args);
    }

    /** {@code "Code: message"} as join replies carry it, or the bare message when there is no code. */
    public String reason(Object... args) {
        return code == null ? message(args) : code + ": " + message(args);
    }

    /** Stable lower-case name used as the {@code reason} tag of drop and refusal metrics. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
