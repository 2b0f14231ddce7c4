package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.auth.JwtVerifier;
import dev.herald.runtime.auth.TokenException;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.ProtocolVersion;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who gets in: WebSocket upgrades to the realtime endpoint and to plugin endpoints, and the token of a REST call.
 * Called on the host's request threads before a session exists; stateless apart from counting refusals, thread-safe.
 */
public final class Admission {
    private static final Logger LOG = LoggerFactory.getLogger(Admission.class);

    private final HeraldConfig config;
    private final HeraldMetrics metrics;
    private final Limits limits;
    private final JwtVerifier verifier;
    private final BooleanSupplier closing;

    public Admission(HeraldConfig config, HeraldMetrics metrics, Limits limits, JwtVerifier verifier, BooleanSupplier closing) {
        this.config = config;
        this.metrics = metrics;
        this.limits = limits;
        this.verifier = verifier;
        this.closing = closing;
    }

    /**
     * Checks an upgrade request: a supported {@code vsn} and a valid token from the {@code x-api-key} header or
     * the {@code apikey} query parameter.
     */
    public HandshakeVerdict checkHandshake(String vsn, String apikeyParam, String apikeyHeader) {
        ProtocolVersion version = ProtocolVersion.fromParameter(vsn);
        if (version == null) return HandshakeVerdict.refuse(403, "", 0);
        String token = apikeyHeader != null && !apikeyHeader.isBlank() ? apikeyHeader : apikeyParam;
        if (token == null || token.isBlank()) {
            return refuseUpgrade(401, ErrorCode.API_KEY_MISSING.message(), ErrorCode.API_KEY_MISSING);
        }
        Claims claims;
        try {
            claims = verifier.verify(token);
        } catch (TokenException e) {
            return refuseUpgrade(401, e.text(), e.code());
        }
        if (limits.usersFull()) return refuseUpgrade(429, ErrorCode.CONNECTION_RATE_LIMIT.message(), ErrorCode.CONNECTION_RATE_LIMIT);
        if (limits.joinsAtLimit()) return refuseUpgrade(429, ErrorCode.JOIN_RATE_LIMIT.message(), ErrorCode.JOIN_RATE_LIMIT);
        return HandshakeVerdict.accept(version, claims);
    }

    private HandshakeVerdict refuseUpgrade(int status, String message, ErrorCode code) {
        metrics.drop(code);
        LOG.info("WebSocket upgrade refused ({}): {}", status, message);
        ObjectNode body = Json.object();
        body.put("error", message);
        return HandshakeVerdict.refuse(status, Json.write(body), config.handshakeErrorDelayMs());
    }

    /**
     * Checks a WebSocket upgrade to a plugin endpoint ({@code /plugins/...}): a valid JWT is required (query
     * {@code access_token} / {@code apikey}, or a {@code herald-jwt.} subprotocol).
     */
    public HandshakeVerdict checkPluginHandshake(String token) {
        if (closing.getAsBoolean()) return HandshakeVerdict.refuse(503, "{\"error\":" + Json.quote(ErrorCode.REALTIME_RESTARTING.message()) + "}", 0);
        if (token == null || token.isBlank()) {
            metrics.drop(ErrorCode.API_KEY_MISSING);
            return HandshakeVerdict.refuse(401, "{\"error\":" + Json.quote(ErrorCode.API_KEY_MISSING.message()) + "}", 0);
        }
        try {
            return HandshakeVerdict.accept(null, verifier.verify(token));
        } catch (TokenException e) {
            metrics.drop(ErrorCode.REST_UNAUTHORIZED);
            return HandshakeVerdict.refuse(401, "{\"error\":" + Json.quote(e.reason()) + "}", 0);
        }
    }

    /**
     * Authenticates a REST call: {@code Authorization: Bearer <jwt>} (scheme case-insensitive) wins over the
     * {@code apikey} header.
     */
    public Claims authenticateRest(String authorization, String apikey) throws TokenException {
        String token = null;
        if (authorization != null) {
            String a = authorization.strip();
            if (a.length() > 7 && a.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) token = a.substring(7).strip();
        }
        if (token == null || token.isEmpty()) token = apikey;
        if (token == null || token.isBlank()) throw new TokenException(ErrorCode.TOKEN_MALFORMED);
        return verifier.verify(token);
    }
}
