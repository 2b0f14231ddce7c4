package dev.herald.runtime.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import dev.herald.api.ErrorCode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies Supabase-style JWTs (nimbus-jose-jwt does the parsing and the cryptography).
 *
 * <p>Keys: HS256/384/512 tokens are checked with the configured secret, or with the {@code oct} key of the JWKS named
 * by the token's {@code kid} (a {@code kid} not in the JWKS falls back to the secret, as in the reference). RS*, PS*,
 * ES256/384/512 and EdDSA (Ed25519, Ed448) tokens are checked with the JWKS key named by {@code kid} whose type, curve
 * and declared {@code alg} fit the token's algorithm (without a {@code kid}: every key that fits). An HS token is never
 * checked with an asymmetric key and vice versa, so algorithm-confusion forgeries fail. Unknown key IDs trigger a
 * rate-limited JWKS refresh (see {@link JwksCache}), so keys can be rotated without a restart.
 *
 * <p>Checks, first failure wins, in the reference server's order: well-formed ({@code MalformedJWT}), a usable signer
 * for the algorithm / key ID ({@code JwtSignerError}), the signature ({@code JwtSignatureError}; also for {@code crit}
 * or unencoded-payload headers, which are never honoured), {@code exp} numeric, {@code iat}/{@code nbf} numeric,
 * expiry (with the configured clock skew, none by default), the required {@code role} and {@code exp} claims, then the
 * Herald extensions: {@code nbf} (not in the future beyond the skew), audience and issuer when configured.
 *
 * <p>Thread-safe.
 */
public final class JwtVerifier {
    private static final Set<JWSAlgorithm> HMAC = Set.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512);

    private final MACVerifier secretVerifier;
    private final List<JwksCache> jwks;
    private final long skewSeconds;
    private final Clock clock;
    private final String audience;
    private final String issuer;

    /** HS secret only, as before JWKS support. */
    public JwtVerifier(byte[] secret, long skewSeconds, Clock clock) {
        this(AuthSettings.ofSecret(requireSecret(secret), skewSeconds, clock));
    }

    public JwtVerifier(AuthSettings settings) {
        this(settings, JwksCache.DEFAULT_MIN_REFRESH_INTERVAL, JwksCache.DEFAULT_MAX_AGE);
    }

    /** For tests: custom JWKS refresh rate limit and maximum age. */
    JwtVerifier(AuthSettings settings, Duration minRefreshInterval, Duration maxAge) {
        byte[] secret = settings.hsSecret();
        if (secret != null) {
            try {
                this.secretVerifier = new MACVerifier(secret);
            } catch (JOSEException e) {
                throw new IllegalArgumentException("JWT secret unusable: " + e.getMessage(), e);
            }
        } else {
            this.secretVerifier = null;
        }
        List<JwksCache> caches = new ArrayList<>(2);
        if (settings.jwksFile() != null) {
            JwksCache file = new JwksCache(JwksCache.file(settings.jwksFile()), minRefreshInterval, maxAge, System::nanoTime);
            if (!file.loadNow()) {
                throw new IllegalArgumentException("JWKS file " + settings.jwksFile() + " cannot be read as a JWK set");
            }
            caches.add(file);
        }
        if (settings.jwksUrl() != null) {
            caches.add(new JwksCache(JwksCache.url(settings.jwksUrl()), minRefreshInterval, maxAge, System::nanoTime));
        }
        if (secretVerifier == null && caches.isEmpty()) {
            throw new IllegalArgumentException("No JWT key source: configure a secret, a JWKS URL or a JWKS file");
        }
        this.jwks = List.copyOf(caches);
        this.skewSeconds = settings.clockSkewSeconds();
        this.clock = settings.clock();
        this.audience = settings.audience();
        this.issuer = settings.issuer();
    }

    private static byte[] requireSecret(byte[] secret) {
        if (secret == null) throw new IllegalArgumentException("JWT secret unusable: none given");
        return secret;
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
        verifySignature(jws);
        Map<String, Object> claims = jws.getPayload().toJSONObject();
        if (claims == null) throw new TokenException(ErrorCode.TOKEN_MALFORMED);
        Object exp = claims.get("exp");
        if (exp != null && !(exp instanceof Number)) throw new TokenException(ErrorCode.TOKEN_EXPIRATION_INVALID);
        Object iat = claims.get("iat");
        if (iat != null && !(iat instanceof Number)) throw new TokenException(ErrorCode.TOKEN_MALFORMED);
        Object nbf = claims.get("nbf");
        if (nbf != null && !(nbf instanceof Number)) throw new TokenException(ErrorCode.TOKEN_MALFORMED);
        long now = clock.millis() / 1000;
        if (exp != null) {
            long expSeconds = ((Number) exp).longValue();
            if (expSeconds + skewSeconds <= now) throw new TokenException(ErrorCode.TOKEN_EXPIRED, now - expSeconds);
        }
        Object role = claims.get("role");
        if (exp == null || !(role instanceof String)) throw new TokenException(ErrorCode.TOKEN_CLAIMS_MISSING);
        if (nbf != null && ((Number) nbf).longValue() - skewSeconds > now) throw new TokenException(ErrorCode.TOKEN_NOT_YET_VALID);
        if (audience != null && !audienceMatches(claims.get("aud"))) throw new TokenException(ErrorCode.TOKEN_AUDIENCE_INVALID);
        if (issuer != null && !issuer.equals(claims.get("iss"))) throw new TokenException(ErrorCode.TOKEN_ISSUER_INVALID);
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

    private boolean audienceMatches(Object aud) {
        if (aud instanceof String s) return s.equals(audience);
        if (aud instanceof Collection<?> list) return list.contains(audience);
        return false;
    }

    // ---- signer resolution and signature ----

    private void verifySignature(JWSObject jws) throws TokenException {
        JWSHeader header = jws.getHeader();
        JWSAlgorithm alg = header.getAlgorithm();
        String kid = header.getKeyID();
        if (HMAC.contains(alg)) {
            verifyHmac(jws, alg, kid);
        } else if (asymmetric(alg)) {
            if (jwks.isEmpty()) throw new TokenException(ErrorCode.TOKEN_SIGNER_UNAVAILABLE);
            List<JWSVerifier> candidates = lookup(alg, kid);
            if (candidates.isEmpty()) throw signerUnavailable(kid);
            verifyWithAny(jws, candidates, kid);
        } else {
            throw new TokenException(ErrorCode.TOKEN_SIGNER_UNAVAILABLE);
        }
    }

    private void verifyHmac(JWSObject jws, JWSAlgorithm alg, String kid) throws TokenException {
        if (kid != null && !jwks.isEmpty()) {
            // never wait for the JWKS here: HS tokens with a kid the JWKS lacks are common and the secret decides them
            List<JWSVerifier> oct = peek(alg, kid);
            if (!oct.isEmpty()) {
                verifyWithAny(jws, oct, kid);
                return;
            }
        }
        if (secretVerifier == null && kid == null) throw new TokenException(ErrorCode.TOKEN_SIGNER_UNAVAILABLE);
        if (secretVerifier != null) {
            refuseUnsupportedHeaders(jws);
            boolean valid;
            try {
                valid = jws.verify(secretVerifier);
            } catch (JOSEException e) {
                throw new TokenException(ErrorCode.TOKEN_SIGNER_UNAVAILABLE);
            }
            if (valid) return;
        }
        // The secret did not verify (or there is none) and the kid is not in our copy of the JWKS: the key may have
        // been added since, so refresh (rate-limited) before refusing.
        if (kid != null && !jwks.isEmpty()) {
            List<JWSVerifier> oct = lookup(alg, kid);
            if (!oct.isEmpty()) {
                verifyWithAny(jws, oct, kid);
                return;
            }
        }
        if (secretVerifier == null) throw signerUnavailable(kid);
        throw new TokenException(ErrorCode.TOKEN_SIGNATURE_INVALID);
    }

    private static TokenException signerUnavailable(String kid) {
        return kid == null
                ? new TokenException(ErrorCode.TOKEN_SIGNER_UNAVAILABLE)
                : new TokenException(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, kid);
    }

    /** {@code crit} extensions and RFC 7797 unencoded payloads are never honoured: such tokens fail verification. */
    private static void refuseUnsupportedHeaders(JWSObject jws) throws TokenException {
        JWSHeader header = jws.getHeader();
        Set<String> crit = header.getCriticalParams();
        if ((crit != null && !crit.isEmpty()) || !header.isBase64URLEncodePayload()) {
            throw new TokenException(ErrorCode.TOKEN_SIGNATURE_INVALID);
        }
    }

    private static void verifyWithAny(JWSObject jws, List<JWSVerifier> candidates, String kid) throws TokenException {
        refuseUnsupportedHeaders(jws);
        boolean anyUsable = false;
        for (JWSVerifier verifier : candidates) {
            try {
                if (jws.verify(verifier)) return;
                anyUsable = true;
            } catch (JOSEException e) {
                // this key cannot check this token (e.g. wrong size for the algorithm); try the next
            }
        }
        if (!anyUsable) throw signerUnavailable(kid);
        throw new TokenException(ErrorCode.TOKEN_SIGNATURE_INVALID);
    }

    /**
     * Verifiers of the JWKS keys fitting {@code alg} (and {@code kid} when given), waiting for a first load if none
     * succeeded yet. An empty result triggers one rate-limited refresh of every JWKS source and a second lookup.
     */
    private List<JWSVerifier> lookup(JWSAlgorithm alg, String kid) {
        List<JwksCache.Snapshot> seen = new ArrayList<>(jwks.size());
        List<JWSVerifier> found = new ArrayList<>(2);
        for (JwksCache cache : jwks) {
            JwksCache.Snapshot s = cache.keys();
            seen.add(s);
            collect(s, alg, kid, found);
        }
        if (!found.isEmpty()) return found;
        for (int i = 0; i < jwks.size(); i++) {
            JwksCache.Snapshot s = jwks.get(i).refresh(seen.get(i));
            collect(s, alg, kid, found);
        }
        return found;
    }

    private List<JWSVerifier> peek(JWSAlgorithm alg, String kid) {
        List<JWSVerifier> found = new ArrayList<>(1);
        for (JwksCache cache : jwks) collect(cache.peek(), alg, kid, found);
        return found;
    }

    private static void collect(JwksCache.Snapshot snapshot, JWSAlgorithm alg, String kid, List<JWSVerifier> out) {
        for (JwksCache.Entry e : snapshot.entries) {
            if (kid != null && !kid.equals(e.jwk().getKeyID())) continue;
            if (fits(e.jwk(), alg)) out.add(e.verifier());
        }
    }

    private static boolean asymmetric(JWSAlgorithm alg) {
        return JWSAlgorithm.Family.RSA.contains(alg) || JWSAlgorithm.Family.EC.contains(alg)
                || JWSAlgorithm.Family.ED.contains(alg);
    }

    /** Whether {@code jwk} may check a token signed with {@code alg}: key type, curve and any declared alg agree. */
    static boolean fits(JWK jwk, JWSAlgorithm alg) {
        boolean typeFits;
        if (HMAC.contains(alg)) {
            typeFits = jwk instanceof OctetSequenceKey;
        } else if (JWSAlgorithm.Family.RSA.contains(alg)) {
            typeFits = jwk instanceof RSAKey;
        } else if (JWSAlgorithm.Family.EC.contains(alg)) {
            typeFits = jwk instanceof ECKey ec && Curve.forJWSAlgorithm(alg).contains(ec.getCurve());
        } else if (JWSAlgorithm.EdDSA.equals(alg)) {
            typeFits = jwk instanceof OctetKeyPair okp
                    && (Curve.Ed25519.equals(okp.getCurve()) || Curve.Ed448.equals(okp.getCurve()));
        } else if (JWSAlgorithm.Ed25519.equals(alg)) {
            typeFits = jwk instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve());
        } else if (JWSAlgorithm.Ed448.equals(alg)) {
            typeFits = jwk instanceof OctetKeyPair okp && Curve.Ed448.equals(okp.getCurve());
        } else {
            typeFits = false;
        }
        if (!typeFits) return false;
        if (jwk.getAlgorithm() == null) return true;
        String declared = jwk.getAlgorithm().getName();
        if (declared.equals(alg.getName())) return true;
        // "EdDSA" and the fully-specified "Ed25519"/"Ed448" (RFC 9864) name the same scheme once the curve matched
        return JWSAlgorithm.Family.ED.contains(alg) && JWSAlgorithm.Family.ED.contains(JWSAlgorithm.parse(declared));
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
