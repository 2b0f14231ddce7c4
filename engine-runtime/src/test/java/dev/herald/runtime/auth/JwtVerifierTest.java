package dev.herald.runtime.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.herald.api.ErrorCode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JwtVerifierTest {
    private static final long NOW = 1_800_000_000L;
    private final Clock clock = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    private final JwtVerifier verifier = new JwtVerifier(Tokens.SECRET.getBytes(StandardCharsets.UTF_8), 0, clock);

    private ErrorCode refusal(String token) {
        return assertThrows(TokenException.class, () -> verifier.verify(token)).code();
    }

    @Test
    void acceptsAValidTokenAndExposesClaims() throws Exception {
        Claims c = verifier.verify(Tokens.anon(NOW + 60));
        assertEquals("anon", c.role());
        assertEquals("user-1", c.subject());
        assertEquals(NOW + 60, c.exp());
    }

    @Test
    void expiredTokenSaysHowLongAgoWithNoDefaultSkew() {
        TokenException e = assertThrows(TokenException.class, () -> verifier.verify(Tokens.anon(NOW - 30)));
        assertEquals("InvalidJWTToken: Token has expired 30 seconds ago", e.reason());
        assertEquals("Token has expired 30 seconds ago", e.text());
        assertEquals(ErrorCode.TOKEN_EXPIRED, refusal(Tokens.anon(NOW)));
    }

    @Test
    void clockSkewIsConfigurable() throws Exception {
        JwtVerifier lenient = new JwtVerifier(Tokens.SECRET.getBytes(StandardCharsets.UTF_8), 60, clock);
        lenient.verify(Tokens.anon(NOW - 30));
        assertThrows(TokenException.class, () -> lenient.verify(Tokens.anon(NOW - 61)));
    }

    @Test
    void refusesWrongSignatureGarbageAndMissingClaims() {
        assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID,
                refusal(Tokens.sign("another-secret-that-is-also-long-enough-000000", Map.of("role", "anon", "exp", NOW + 60))));
        assertEquals(ErrorCode.TOKEN_MALFORMED, refusal("garbage"));
        assertEquals(ErrorCode.TOKEN_MALFORMED, refusal(""));
        assertEquals(ErrorCode.TOKEN_CLAIMS_MISSING, refusal(Tokens.sign(Tokens.SECRET, Map.of("exp", NOW + 60))));
        assertEquals(ErrorCode.TOKEN_CLAIMS_MISSING, refusal(Tokens.sign(Tokens.SECRET, Map.of("role", "anon"))));
        assertEquals(ErrorCode.TOKEN_EXPIRATION_INVALID, refusal(Tokens.sign(Tokens.SECRET, Map.of("role", "anon", "exp", "soon"))));
    }

    @Test
    void refusesAlgNoneAndAsymmetricAlgorithms() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String payload = b64.encodeToString(("{\"role\":\"service_role\",\"exp\":" + (NOW + 60) + "}").getBytes(StandardCharsets.UTF_8));
        String none = b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "." + payload + ".";
        assertThrows(TokenException.class, () -> verifier.verify(none));
        String rs = b64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "." + payload + ".c2ln";
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE, refusal(rs));
    }

    @Test
    void toleratesWhitespaceAndUrlEncoding() throws Exception {
        String t = Tokens.anon(NOW + 60);
        verifier.verify("  " + t + "\n");
        verifier.verify(URLEncoder.encode(t, StandardCharsets.UTF_8).replace(".", "%2E"));
    }
}
