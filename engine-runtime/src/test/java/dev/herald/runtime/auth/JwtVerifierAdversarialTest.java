package dev.herald.runtime.auth;

import static dev.herald.runtime.auth.JwksFixtures.NOW;
import static dev.herald.runtime.auth.JwksFixtures.anonClaims;
import static dev.herald.runtime.auth.JwksFixtures.claims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.JwksFixtures.SigningKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokens an attacker might try, against a verifier with an HS secret and a JWKS file (RSA, EC, Ed25519 keys). */
class JwtVerifierAdversarialTest {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    private static final byte[] SECRET = Tokens.SECRET.getBytes(StandardCharsets.UTF_8);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private static SigningKey rsa;
    private static SigningKey ec;
    private static SigningKey ed;
    private static SigningKey attackerRsa;

    @TempDir
    static Path dir;

    private static Path jwksFile;

    @BeforeAll
    static void keys() throws IOException {
        rsa = JwksFixtures.rsa("rsa-1", JWSAlgorithm.RS256);
        ec = JwksFixtures.ec("ec-1", Curve.P_256, JWSAlgorithm.ES256);
        ed = JwksFixtures.ed25519("ed-1");
        attackerRsa = JwksFixtures.rsa("rsa-1", JWSAlgorithm.RS256); // same kid, different key
        jwksFile = dir.resolve("jwks.json");
        JwksFixtures.writeJwks(jwksFile, List.of(rsa.publicJwk(), ec.publicJwk(), ed.publicJwk()));
    }

    private static JwtVerifier verifier(String audience, String issuer, long skew) {
        return new JwtVerifier(new AuthSettings(SECRET, null, jwksFile, skew, audience, issuer, CLOCK));
    }

    private static TokenException refusal(JwtVerifier v, String token) {
        return assertThrows(TokenException.class, () -> v.verify(token));
    }

    private static ErrorCode code(String token) {
        return refusal(verifier(null, null, 0), token).code();
    }

    private static String raw(String headerJson, String payloadJson, String signature) {
        return B64.encodeToString(headerJson.getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8)) + "." + signature;
    }

    @Test
    void validTokensOfEveryKeyTypeAreAccepted() throws Exception {
        JwtVerifier v = verifier(null, null, 0);
        assertEquals("anon", v.verify(rsa.anon()).role());
        assertEquals("anon", v.verify(ec.anon()).role());
        assertEquals("anon", v.verify(ed.anon()).role());
        assertEquals("user-1", v.verify(Tokens.anon(NOW + 60)).subject());
    }

    @Test
    void forgedSignatureWithAKnownKidIsRefused() {
        assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, code(attackerRsa.anon()));
        // a valid token whose payload was swapped for an elevated one
        String[] parts = rsa.anon().split("\\.");
        String elevated = B64.encodeToString(("{\"role\":\"service_role\",\"exp\":" + (NOW + 60) + "}").getBytes(StandardCharsets.UTF_8));
        assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, code(parts[0] + "." + elevated + "." + parts[2]));
        // a signature of another algorithm on the same key family
        String es = ec.anon();
        String[] esParts = es.split("\\.");
        String relabelled = raw("{\"alg\":\"ES384\",\"kid\":\"ec-1\"}", "{}", esParts[2]);
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, code(relabelled)); // no P-384 key named ec-1
    }

    @Test
    void algNoneAndUnsignedTokensAreRefused() {
        String payload = "{\"role\":\"service_role\",\"exp\":" + (NOW + 60) + "}";
        assertEquals(ErrorCode.TOKEN_MALFORMED, code(raw("{\"alg\":\"none\"}", payload, "")));
        assertEquals(ErrorCode.TOKEN_MALFORMED, code(raw("{\"alg\":\"none\",\"kid\":\"rsa-1\"}", payload, "")));
        assertEquals(ErrorCode.TOKEN_MALFORMED, code(raw("{\"alg\":\"NONE\"}", payload, "")));
        // a real algorithm but the signature stripped (nimbus refuses an empty signature when parsing)
        assertEquals(ErrorCode.TOKEN_MALFORMED, code(raw("{\"alg\":\"HS256\"}", payload, "")));
        assertEquals(ErrorCode.TOKEN_MALFORMED, code(raw("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", payload, "")));
        String[] parts = ed.anon().split("\\.");
        assertEquals(ErrorCode.TOKEN_MALFORMED, code(parts[0] + "." + parts[1] + "."));
        assertEquals(ErrorCode.TOKEN_MALFORMED, code(parts[0] + "." + parts[1]));
        // or replaced by a few junk bytes, of the wrong length for the key
        assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, code(raw("{\"alg\":\"HS256\"}", payload, "AAAA")));
        assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, code(raw("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", payload, "AAAA")));
        assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, code(raw("{\"alg\":\"ES256\",\"kid\":\"ec-1\"}", payload, "AAAA")));
        assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, code(parts[0] + "." + parts[1] + ".AAAA"));
        // unknown / non-signature algorithms
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE, code(raw("{\"alg\":\"XS256\"}", payload, "c2ln")));
        assertEquals(ErrorCode.TOKEN_MALFORMED, code(raw("{\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\"}", payload, "c2ln")));
    }

    @Test
    void criticalHeadersAreNeverHonoured() throws Exception {
        JWSHeader crit = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1")
                .customParam("exp-ext", 1).criticalParams(Set.of("exp-ext")).build();
        assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, code(JwksFixtures.sign(crit, anonClaims(), rsa.signer())));
        JWSHeader hsCrit = new JWSHeader.Builder(JWSAlgorithm.HS256)
                .customParam("exp-ext", 1).criticalParams(Set.of("exp-ext")).build();
        assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, code(JwksFixtures.sign(hsCrit, anonClaims(), new MACSigner(SECRET))));
        // RFC 7797 unencoded payload (b64=false, crit b64), which nimbus would otherwise process
        JWSHeader b64 = new JWSHeader.Builder(JWSAlgorithm.HS256).base64URLEncodePayload(false)
                .criticalParams(Set.of("b64")).build();
        JWSObject unencoded = new JWSObject(b64, new Payload(
                "{\"role\":\"service_role\",\"exp\":" + (NOW + 60) + "}"));
        unencoded.sign(new MACSigner(SECRET));
        assertThrows(TokenException.class, () -> verifier(null, null, 0).verify(unencoded.serialize()));
    }

    @Test
    void hsTokenSignedWithTheRsaPublicKeyIsRefused() throws Exception {
        RSAKey pub = (RSAKey) rsa.publicJwk();
        List<byte[]> guesses = List.of(
                pub.toRSAPublicKey().getEncoded(),                                              // DER SubjectPublicKeyInfo
                pemOf(pub.toRSAPublicKey().getEncoded()).getBytes(StandardCharsets.US_ASCII),   // PEM
                pub.toJSONString().getBytes(StandardCharsets.UTF_8),                            // the JWK itself
                pub.getModulus().decode());                                                     // raw modulus
        for (byte[] secret : guesses) {
            for (String kid : new String[] {"rsa-1", null}) {
                JWSHeader h = new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).type(JOSEObjectType.JWT).build();
                String forged = JwksFixtures.sign(h, claims("role", "service_role", "exp", NOW + 60), new MACSigner(secret));
                assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, code(forged), "kid " + kid);
            }
        }
        // and with no HS secret at all, an HS token naming an RSA kid finds no signer rather than the RSA key
        JwtVerifier jwksOnly = new JwtVerifier(new AuthSettings(null, null, jwksFile, 0, null, null, CLOCK));
        String forged = JwksFixtures.sign(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(),
                claims("role", "service_role", "exp", NOW + 60), new MACSigner(pub.toRSAPublicKey().getEncoded()));
        TokenException e = refusal(jwksOnly, forged);
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, e.code());
        assertEquals("JwtSignerError: Failed to generate JWT signer for key ID (kid) \"rsa-1\", check your JWT secret or "
                + "JWKS configuration", e.reason());
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE, refusal(jwksOnly, Tokens.anon(NOW + 60)).code());
    }

    @Test
    void asymmetricTokenIsNeverCheckedWithTheHsSecret() {
        // secret only: an RS token (whatever its signature) has no signer
        JwtVerifier secretOnly = new JwtVerifier(SECRET, 0, CLOCK);
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE, refusal(secretOnly, rsa.anon()).code());
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE, refusal(secretOnly, ed.anon()).code());
        // an "RS256" header over an HMAC of the secret
        String hs = Tokens.anon(NOW + 60);
        String[] parts = hs.split("\\.");
        String relabelled = B64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "." + parts[1] + "." + parts[2];
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE, refusal(secretOnly, relabelled).code());
        assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, code(relabelled)); // with a JWKS: tried on the RSA key, fails
        String relabelledKid = B64.encodeToString("{\"alg\":\"RS256\",\"kid\":\"hs\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + parts[1] + "." + parts[2];
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, code(relabelledKid));
    }

    @Test
    void kidNamingAKeyOfAnotherTypeOrCurveIsUnknown() {
        SigningKey rsaWithEcKid = JwksFixtures.rsa("ec-1", JWSAlgorithm.RS256);
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, code(rsaWithEcKid.anon()));
        SigningKey p384 = JwksFixtures.ec("ec-1", Curve.P_384, JWSAlgorithm.ES384);
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, code(p384.anon()));
        SigningKey unknown = JwksFixtures.rsa("nobody", JWSAlgorithm.RS256);
        TokenException e = refusal(verifier(null, null, 0), unknown.anon());
        assertEquals("Failed to generate JWT signer for key ID (kid) \"nobody\", check your JWT secret or JWKS configuration", e.text());
    }

    @Test
    void keysRestrictedToOtherUsesOrAlgorithmsAreNotUsed(@TempDir Path tmp) throws Exception {
        SigningKey enc = JwksFixtures.rsa("enc", JWSAlgorithm.RS256);
        SigningKey rs384Only = JwksFixtures.rsa("rs384", JWSAlgorithm.RS256);
        JWK encJwk = new RSAKey.Builder((RSAKey) enc.publicJwk()).keyUse(KeyUse.ENCRYPTION).build();
        JWK rs384Jwk = new RSAKey.Builder((RSAKey) rs384Only.publicJwk()).algorithm(JWSAlgorithm.RS384).build();
        Path file = tmp.resolve("jwks.json");
        JwksFixtures.writeJwks(file, List.of(encJwk, rs384Jwk));
        JwtVerifier v = new JwtVerifier(new AuthSettings(null, null, file, 0, null, null, CLOCK));
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(v, enc.anon()).code());
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(v, rs384Only.anon()).code());
        SigningKey rs384 = new SigningKey(rs384Jwk, rs384Only.signer(), JWSAlgorithm.RS384);
        assertEquals("anon", v.verify(rs384.anon()).role());
    }

    @Test
    void expiredTokensKeepTheReferenceMessage() {
        TokenException e = refusal(verifier(null, null, 0), rsa.sign(claims("role", "anon", "exp", NOW - 30)));
        assertEquals(ErrorCode.TOKEN_EXPIRED, e.code());
        assertEquals("InvalidJWTToken: Token has expired 30 seconds ago", e.reason());
        assertEquals(ErrorCode.TOKEN_EXPIRED, code(ed.sign(claims("role", "anon", "exp", NOW))));
    }

    @Test
    void notYetValidTokensAreRefusedBeyondTheSkew() throws Exception {
        String future = rsa.sign(claims("role", "anon", "exp", NOW + 600, "nbf", NOW + 30));
        TokenException e = refusal(verifier(null, null, 0), future);
        assertEquals(ErrorCode.TOKEN_NOT_YET_VALID, e.code());
        assertEquals("InvalidJWTToken: Token is not valid yet", e.reason());
        verifier(null, null, 30).verify(future);
        verifier(null, null, 0).verify(rsa.sign(claims("role", "anon", "exp", NOW + 600, "nbf", NOW)));
        assertEquals(ErrorCode.TOKEN_MALFORMED, code(rsa.sign(claims("role", "anon", "exp", NOW + 600, "nbf", "later"))));
    }

    @Test
    void audienceIsCheckedWhenConfigured() throws Exception {
        JwtVerifier v = verifier("authenticated", null, 0);
        v.verify(rsa.sign(claims("role", "anon", "exp", NOW + 60, "aud", "authenticated")));
        v.verify(rsa.sign(claims("role", "anon", "exp", NOW + 60, "aud", List.of("other", "authenticated"))));
        for (Object aud : new Object[] {"other", List.of("other", "x"), List.of(), 42}) {
            TokenException e = refusal(v, rsa.sign(claims("role", "anon", "exp", NOW + 60, "aud", aud)));
            assertEquals(ErrorCode.TOKEN_AUDIENCE_INVALID, e.code(), String.valueOf(aud));
            assertEquals("InvalidJWTToken: Token audience is not accepted", e.reason());
        }
        assertEquals(ErrorCode.TOKEN_AUDIENCE_INVALID, refusal(v, rsa.anon()).code());
        // not configured: any audience passes
        verifier(null, null, 0).verify(rsa.sign(claims("role", "anon", "exp", NOW + 60, "aud", "other")));
    }

    @Test
    void issuerIsCheckedWhenConfigured() throws Exception {
        JwtVerifier v = verifier(null, "https://auth.example.test", 0);
        v.verify(ec.sign(claims("role", "anon", "exp", NOW + 60, "iss", "https://auth.example.test")));
        TokenException e = refusal(v, ec.sign(claims("role", "anon", "exp", NOW + 60, "iss", "https://evil.example.test")));
        assertEquals(ErrorCode.TOKEN_ISSUER_INVALID, e.code());
        assertEquals("InvalidJWTToken: Token issuer is not accepted", e.reason());
        assertEquals(ErrorCode.TOKEN_ISSUER_INVALID, refusal(v, ec.anon()).code());
        assertEquals(ErrorCode.TOKEN_ISSUER_INVALID,
                refusal(v, ec.sign(claims("role", "anon", "exp", NOW + 60, "iss", List.of("https://auth.example.test")))).code());
    }

    @Test
    void missingClaimsAndBadExpKeepTheirOrder() {
        assertEquals(ErrorCode.TOKEN_CLAIMS_MISSING, code(rsa.sign(claims("exp", NOW + 60))));
        assertEquals(ErrorCode.TOKEN_CLAIMS_MISSING, code(rsa.sign(claims("role", "anon"))));
        assertEquals(ErrorCode.TOKEN_CLAIMS_MISSING, code(rsa.sign(claims("role", 7, "exp", NOW + 60))));
        TokenException e = refusal(verifier(null, null, 0), rsa.sign(claims("role", "anon", "exp", "soon")));
        assertEquals(ErrorCode.TOKEN_EXPIRATION_INVALID, e.code());
        assertEquals("InvalidJWTToken: Token expiration time is invalid", e.reason());
        assertEquals(ErrorCode.TOKEN_MALFORMED, code(rsa.sign(claims("role", "anon", "exp", NOW + 60, "iat", "now"))));
        // expiry is reported before a missing role; the signature before everything in the claims
        assertEquals(ErrorCode.TOKEN_EXPIRED, code(rsa.sign(claims("exp", NOW - 1))));
        assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, code(attackerRsa.sign(claims("exp", "soon"))));
        // audience/issuer are checked only after the reference checks
        JwtVerifier strict = verifier("authenticated", "issuer", 0);
        assertEquals(ErrorCode.TOKEN_EXPIRED, refusal(strict, rsa.sign(claims("role", "anon", "exp", NOW - 1))).code());
        assertEquals(ErrorCode.TOKEN_CLAIMS_MISSING, refusal(strict, rsa.sign(claims("exp", NOW + 1))).code());
    }

    @Test
    void garbageIsMalformed() {
        for (String t : new String[] {"", "   ", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9", "not a jwt"}) {
            assertEquals(ErrorCode.TOKEN_MALFORMED, code(t), t);
        }
        String nonJsonPayload = raw("{\"alg\":\"HS256\"}", "x", "");
        assertThrows(TokenException.class, () -> verifier(null, null, 0).verify(nonJsonPayload));
    }

    @Test
    void noKeySourceIsAConfigurationError() {
        assertThrows(IllegalArgumentException.class,
                () -> new JwtVerifier(new AuthSettings(null, null, null, 0, null, null, CLOCK)));
        assertThrows(IllegalArgumentException.class,
                () -> new JwtVerifier(new AuthSettings("short".getBytes(StandardCharsets.UTF_8), null, null, 0, null, null, CLOCK)));
        assertThrows(IllegalArgumentException.class,
                () -> new JwtVerifier(new AuthSettings(SECRET, null, dir.resolve("missing.json"), 0, null, null, CLOCK)));
        assertThrows(IllegalArgumentException.class,
                () -> new AuthSettings(SECRET, null, null, -1, null, null, CLOCK));
    }

    @Test
    void settingsDoNotLeakTheSecret() {
        AuthSettings s = new AuthSettings(SECRET, null, null, 0, null, null, null);
        byte[] copy = s.hsSecret();
        copy[0] = 0;
        assertEquals(SECRET[0], s.hsSecret()[0]);
        assertFalse(s.toString().contains(Tokens.SECRET));
        assertEquals(Clock.systemUTC().getZone(), s.clock().getZone());
    }

    private static String pemOf(byte[] der) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END PUBLIC KEY-----\n";
    }
}
