package dev.herald.runtime.core;

import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.protocol.ProtocolVersion;

/**
 * The outcome of checking a WebSocket upgrade request. When refused, the host answers with {@link #status()} and
 * {@link #body()} (a JSON object {@code {"error": ...}}, or empty) as docs/wire-protocol.md (Handshake) describes, after
 * {@link #delayMs()} without blocking a worker thread.
 */
public record HandshakeVerdict(boolean accepted, int status, String body, long delayMs, ProtocolVersion version,
                               Claims claims) {

    public static HandshakeVerdict accept(ProtocolVersion version, Claims claims) {
        return new HandshakeVerdict(true, 101, "", 0, version, claims);
    }

    public static HandshakeVerdict refuse(int status, String body, long delayMs) {
        return new HandshakeVerdict(false, status, body, delayMs, null, null);
    }
}
