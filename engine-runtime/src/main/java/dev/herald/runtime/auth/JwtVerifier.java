package dev.herald.runtime.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.MACVerifier;
import dev.herald.api.ErrorCode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.util.Map;
import java.util.Set;

/**
 * Verifies Supabase-style JWTs signed with the configured HS256/384/512 secret (nimbus-jose-jwt does the
 * cryptography). Checks, in the reference server's order: well-formed, a usable signer for the algorithm, the
 * signature, expiry (with the configured clock skew, none by default), then the required {@code role} and
 * {@code exp} claims. Thread-safe.
 */
public final class JwtVerifier {
    private static final Set<JWSAlgorithm> HMAC = Set.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512);

    private final MACVerifier verifier;
    private final long skewSeconds;
    private final Clock clock;

    public JwtVerifier(byte[] secret, long skewSeconds, Clock clock) {
        try {
            this.verifier = new MACVerifier(secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("JWT secret unusable: " + e.getMessage(), e);
        }
        this.skewSeconds = skewSeconds;
        this.clock = clock;
    }

    public Claims verify(String rawToken) throws TokenException {
        String token = normalise(rawToken);
        if (token == null || token.isEmpty()) throw new TokenException(ErrorCode.TOKEN_MALFORMED);
        JWSObject jws;
        try {
            jws = JWSObject.parse(token);
        } catch (ParseException e) {
            throw new TokenException(ErrorCode.TOKEN_MALFORMED);
        }
        if (!HMAC.contains(jws.getHeader().getAlgorithm())) throw new TokenException(ErrorCode.TOKEN_SIGNER_UNAVAILABLE);
        boolean valid;
        try {
            valid = jws.verify(verifier);
        } catch (JOSEException e) {
            throw new TokenException(ErrorCode.TOKEN_SIGNER_UNAVAILABLE);
        }
        if (!valid) throw new TokenException(ErrorCode.TOKEN_SIGNATURE_INVALID);
        Map<String, Object> claims = jws.getPayload().toJSONObject();
        if (claims == null) throw new TokenException(ErrorCode.TOKEN_MALFORMED);
        Object exp = claims.get("exp");
        if (exp != null && !(exp instanceof Number)) throw new TokenException(ErrorCode.TOKEN_EXPIRATION_INVALID);
        Object iat = claims.get("iat");
        if (iat != null && !(iat instanceof Number)) throw new TokenException(ErrorCode.TOKEN_MALFORMED);
        if (exp != null) {
            long now = clock.millis() / 1000;
            long expSeconds = ((Number) exp).longValue();
            if (expSeconds + skewSeconds <= now) throw new TokenException(ErrorCode.TOKEN_EXPIRED, now - expSeconds);
        }
        Object role = claims.get("role");
        if (exp == null || !(role instanceof String)) throw new TokenException(ErrorCode.TOKEN_CLAIMS_MISSING);
        Object sub = claims.get("sub");
        return new Claims(token, claims, (String) role, sub == null ? null : sub.toString(), ((Number) exp).longValue());
    }

    /** Seconds past {@code exp} counting the skew allowance; positive once the token must be refused. */
    public long secondsPastExpiry(Claims claims) {
        return clock.millis() / 1000 - claims.exp() - skewSeconds;
    }

    public long skewSeconds() {
        return skewSeconds;
    }

    public Clock clock() {
        return clock;
    }

    /** Clients sometimes send tokens URL-encoded or with stray whitespace; the reference strips both. */
    static String normalise(String token) {
        if (token == null) return null;
        String t = token.strip();
        if (t.indexOf('%') >= 0) {
            try {
                t = URLDecoder.decode(t, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException ignored) {
                // not URL-encoded after all; verification will decide
            }
        }
        return t.replaceAll("\\s+", "");
    }
}
