package dev.herald.runtime.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Test tokens signed with nimbus-jose-jwt. */
public final class Tokens {
    public static final String SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789";

    private Tokens() {
    }

    public static String sign(String secret, Map<String, Object> claims) {
        try {
            JWTClaimsSet.Builder b = new JWTClaimsSet.Builder();
            claims.forEach(b::claim);
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), b.build());
            jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String anon(long expEpochSeconds) {
        return sign(SECRET, Map.of("role", "anon", "exp", expEpochSeconds, "sub", "user-1"));
    }

    public static String valid() {
        return anon(System.currentTimeMillis() / 1000 + 3600);
    }
}
