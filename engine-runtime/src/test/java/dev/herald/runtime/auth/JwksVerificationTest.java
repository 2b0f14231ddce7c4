package dev.herald.runtime.auth;

import static dev.herald.runtime.auth.JwksFixtures.NOW;
import static dev.herald.runtime.auth.JwksFixtures.anonClaims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.JwksFixtures.JwksServer;
import dev.herald.runtime.auth.JwksFixtures.SigningKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** JWKS from a URL and from a file: accepted algorithms, key rotation, refresh rate limiting, HS keys by kid. */
@Timeout(60)
class JwksVerificationTest {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    private static final byte[] SECRET = Tokens.SECRET.getBytes(StandardCharsets.UTF_8);
    private static final Duration NO_RATE_LIMIT = Duration.ZERO;
    private static final Duration DEFAULT_MAX_AGE = JwksCache.DEFAULT_MAX_AGE;

    @TempDir
    Path dir;

    static Stream<SigningKey> asymmetricKeys() {
        return Stream.of(
                JwksFixtures.rsa("rs256", JWSAlgorithm.RS256),
                JwksFixtures.rsa("rs512", JWSAlgorithm.RS512),
                JwksFixtures.rsa("ps256", JWSAlgorithm.PS256),
                JwksFixtures.ec("es256", Curve.P_256, JWSAlgorithm.ES256),
                JwksFixtures.ec("es384", Curve.P_384, JWSAlgorithm.ES384),
                JwksFixtures.ec("es512", Curve.P_521, JWSAlgorithm.ES512),
                JwksFixtures.ed25519("ed25519"),
                JwksFixtures.ed448("ed448"));
    }

    private static AuthSettings urlSettings(byte[] secret, String url) {
        return new AuthSettings(secret, url, null, 0, null, null, CLOCK);
    }

    private static AuthSettings fileSettings(byte[] secret, Path file) {
        return new AuthSettings(secret, null, file, 0, null, null, CLOCK);
    }

    private static ErrorCode refusal(JwtVerifier v, String token) {
        return assertThrows(TokenException.class, () -> v.verify(token)).code();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("asymmetricKeys")
    void acceptedFromUrl(SigningKey key) throws Exception {
        try (JwksServer server = new JwksServer(List.of(key.publicJwk()))) {
            JwtVerifier v = new JwtVerifier(urlSettings(SECRET, server.url()));
            Claims c = v.verify(key.anon());
            assertEquals("anon", c.role());
            assertEquals("user-1", c.subject());
            v.verify(key.signWithoutKid(anonClaims())); // no kid: every key of the right type is tried
            v.verify(Tokens.anon(NOW + 60)); // the HS secret still works alongside
            assertEquals(1, server.fetches());
            SigningKey impostor = JwksFixtures.rsa(key.kid(), JWSAlgorithm.RS256);
            assertTrue(refusal(v, impostor.anon()) != null);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("asymmetricKeys")
    void acceptedFromFile(SigningKey key) throws Exception {
        Path file = dir.resolve("jwks.json");
        JwksFixtures.writeJwks(file, List.of(key.publicJwk()));
        JwtVerifier v = new JwtVerifier(fileSettings(null, file));
        assertEquals("anon", v.verify(key.anon()).role());
        v.verify(key.signWithoutKid(anonClaims()));
    }

    @Test
    void privateKeysInTheJwksAreUsedOnlyForTheirPublicHalf(@TempDir Path tmp) throws Exception {
        RSAKey full = new RSAKeyGenerator(2048).keyID("full").generate();
        Path file = tmp.resolve("jwks.json");
        Files.writeString(file, new JWKSet(full).toString(false));
        JwtVerifier v = new JwtVerifier(fileSettings(null, file));
        v.verify(new SigningKey(full.toPublicJWK(), new RSASSASigner(full), JWSAlgorithm.RS256).anon());
    }

    @Test
    void urlRotationAddsAndRemovesKeysWithoutRestart() throws Exception {
        SigningKey a = JwksFixtures.rsa("key-a", JWSAlgorithm.RS256);
        SigningKey b = JwksFixtures.ec("key-b", Curve.P_256, JWSAlgorithm.ES256);
        try (JwksServer server = new JwksServer(List.of(a.publicJwk()))) {
            JwtVerifier v = new JwtVerifier(urlSettings(null, server.url()), NO_RATE_LIMIT, DEFAULT_MAX_AGE);
            v.verify(a.anon());
            assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(v, b.anon()));

            server.serve(List.of(a.publicJwk(), b.publicJwk())); // b published
            v.verify(b.anon());
            v.verify(a.anon());

            server.serve(List.of(b.publicJwk())); // a retired
            SigningKey c = JwksFixtures.rsa("key-c", JWSAlgorithm.RS256);
            assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(v, c.anon())); // refresh drops a
            TokenException e = assertThrows(TokenException.class, () -> v.verify(a.anon()));
            assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, e.code());
            assertEquals("key-a", e.args()[0]);
            v.verify(b.anon());
        }
    }

    @Test
    void removedKidIsRefusedAfterTheRefreshThatDropsIt() throws Exception {
        SigningKey a = JwksFixtures.rsa("key-a", JWSAlgorithm.RS256);
        SigningKey b = JwksFixtures.rsa("key-b", JWSAlgorithm.RS256);
        try (JwksServer server = new JwksServer(List.of(a.publicJwk()))) {
            JwtVerifier v = new JwtVerifier(urlSettings(null, server.url()));
            v.verify(a.anon());
            server.serve(List.of(b.publicJwk()));
            v.verify(a.anon()); // cached until a refresh happens
            Thread.sleep(1_100); // past the refresh rate limit
            v.verify(b.anon()); // unknown kid: refresh, which also drops a
            assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(v, a.anon()));
        }
    }

    @Test
    void fileRotationIsPickedUpWhenTheFileChanges() throws Exception {
        SigningKey a = JwksFixtures.ed25519("key-a");
        SigningKey b = JwksFixtures.rsa("key-b", JWSAlgorithm.RS256);
        Path file = dir.resolve("jwks.json");
        JwksFixtures.writeJwks(file, List.of(a.publicJwk()));
        JwtVerifier v = new JwtVerifier(fileSettings(null, file), NO_RATE_LIMIT, DEFAULT_MAX_AGE);
        v.verify(a.anon());
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(v, b.anon()));

        JwksFixtures.writeJwks(file, List.of(a.publicJwk(), b.publicJwk()));
        v.verify(b.anon());

        JwksFixtures.writeJwks(file, List.of(b.publicJwk()));
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(v, JwksFixtures.rsa("key-c", JWSAlgorithm.RS256).anon()));
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(v, a.anon()));
        v.verify(b.anon());

        // a broken rewrite keeps the last good keys
        Files.writeString(file, "{ not json");
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(v, a.anon()));
        v.verify(b.anon());
    }

    @Test
    void floodOfUnknownKidsFetchesAtMostOncePerSecond() throws Exception {
        SigningKey known = JwksFixtures.rsa("known", JWSAlgorithm.RS256);
        SigningKey attacker = JwksFixtures.rsa("unused", JWSAlgorithm.RS256);
        try (JwksServer server = new JwksServer(List.of(known.publicJwk()))) {
            JwtVerifier v = new JwtVerifier(urlSettings(SECRET, server.url()));
            v.verify(known.anon());
            assertEquals(1, server.fetches());
            int threads = 8;
            long floodMillis = 2_500;
            AtomicInteger refused = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long start = System.nanoTime();
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        int i = 0;
                        while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(floodMillis)) {
                            String kid = "made-up-" + thread + "-" + i++;
                            String token = JwksFixtures.sign(new JWSHeader.Builder(JWSAlgorithm.RS256)
                                    .keyID(kid).build(), anonClaims(), attacker.signer());
                            try {
                                v.verify(token);
                            } catch (TokenException e) {
                                if (e.code() == ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID) refused.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) f.get();
            } finally {
                pool.shutdownNow();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            int flood = server.fetches() - 1;
            assertTrue(refused.get() >= 50, "flood too small to be meaningful: " + refused.get());
            assertTrue(flood <= Math.ceil(seconds) + 1, flood + " fetches in " + seconds + " s for " + refused.get() + " tokens");
            assertTrue(flood >= 1, "unknown kids must trigger a refresh");
            v.verify(known.anon());
        }
    }

    @Test
    void knownKidsAreNotBlockedByASlowRefresh() throws Exception {
        SigningKey known = JwksFixtures.ec("known", Curve.P_256, JWSAlgorithm.ES256);
        try (JwksServer server = new JwksServer(List.of(known.publicJwk()))) {
            JwtVerifier v = new JwtVerifier(urlSettings(null, server.url()), NO_RATE_LIMIT, DEFAULT_MAX_AGE);
            v.verify(known.anon());
            server.delayMillis(1_500);
            CountDownLatch started = new CountDownLatch(1);
            Thread slow = new Thread(() -> {
                started.countDown();
                try {
                    v.verify(JwksFixtures.rsa("new", JWSAlgorithm.RS256).anon());
                } catch (TokenException expected) {
                    // unknown kid after the (slow) refresh
                }
            });
            slow.start();
            started.await();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.fetches() < 2 && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(2, server.fetches(), "the refresh is in flight");
            long t0 = System.nanoTime();
            for (int i = 0; i < 20; i++) v.verify(known.anon());
            long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(slow.isAlive(), "the refresh should still be running");
            assertTrue(elapsedMillis < 1_000, "known-kid verifications waited " + elapsedMillis + " ms");
            slow.join();
        }
    }

    @Test
    void unreachableOrFailingEndpointKeepsTheLastKeys() throws Exception {
        SigningKey a = JwksFixtures.rsa("key-a", JWSAlgorithm.RS256);
        try (JwksServer server = new JwksServer(List.of(a.publicJwk()))) {
            JwtVerifier v = new JwtVerifier(urlSettings(null, server.url()), NO_RATE_LIMIT, DEFAULT_MAX_AGE);
            v.verify(a.anon());
            server.status(500);
            assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(v, JwksFixtures.rsa("b", JWSAlgorithm.RS256).anon()));
            v.verify(a.anon());
        }
        // nothing listening: the first verification reports no signer, quickly
        JwtVerifier dead = new JwtVerifier(urlSettings(SECRET, "http://127.0.0.1:1/jwks.json"));
        assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(dead, JwksFixtures.rsa("b", JWSAlgorithm.RS256).anon()));
        dead.verify(Tokens.anon(NOW + 60));
    }

    @Test
    void staleKeysAreRefreshedInTheBackground() throws Exception {
        SigningKey a = JwksFixtures.rsa("key-a", JWSAlgorithm.RS256);
        SigningKey b = JwksFixtures.rsa("key-b", JWSAlgorithm.RS256);
        try (JwksServer server = new JwksServer(List.of(a.publicJwk()))) {
            // on-demand refreshes effectively disabled, so only the age-based refresh can fetch
            JwtVerifier v = new JwtVerifier(urlSettings(null, server.url()), Duration.ofHours(1), Duration.ofMillis(200));
            v.verify(a.anon());
            server.serve(List.of(b.publicJwk()));
            Thread.sleep(300);
            v.verify(a.anon()); // stale: served from the old keys while a background refresh starts
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() < deadline) {
                try {
                    v.verify(b.anon());
                    break;
                } catch (TokenException notYet) {
                    Thread.sleep(20);
                }
            }
            v.verify(b.anon());
            assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(v, a.anon()));
            assertTrue(server.fetches() >= 2);
        }
    }

    @Test
    void hsTokenWithAKidOfAnOctKeyUsesThatKey() throws Exception {
        SigningKey oct = JwksFixtures.oct("hs-1", JWSAlgorithm.HS256);
        SigningKey oct512 = JwksFixtures.oct("hs-2", JWSAlgorithm.HS512);
        SigningKey rsa = JwksFixtures.rsa("rs-1", JWSAlgorithm.RS256);
        try (JwksServer server = new JwksServer(List.of(oct.publicJwk(), oct512.publicJwk(), rsa.publicJwk()))) {
            JwtVerifier v = new JwtVerifier(urlSettings(SECRET, server.url()));
            assertEquals("anon", v.verify(oct.anon()).role());
            v.verify(oct512.anon());
            // the kid names the oct key, so the secret is not used for it
            String secretSignedWithOctKid = JwksFixtures.sign(new JWSHeader.Builder(JWSAlgorithm.HS256)
                    .keyID("hs-1").build(), anonClaims(), new MACSigner(SECRET));
            assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, refusal(v, secretSignedWithOctKid));
            // a kid not in the JWKS falls back to the secret (reference behaviour)
            String secretSignedOtherKid = JwksFixtures.sign(new JWSHeader.Builder(JWSAlgorithm.HS256)
                    .keyID("legacy").build(), anonClaims(), new MACSigner(SECRET));
            v.verify(secretSignedOtherKid);
            v.verify(Tokens.anon(NOW + 60));
            // an oct key with the RSA key's kid does not exist: the RSA key is never used for HS
            String octWithRsaKid = JwksFixtures.sign(new JWSHeader.Builder(JWSAlgorithm.HS256)
                    .keyID("rs-1").build(), anonClaims(), oct.signer());
            assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, refusal(v, octWithRsaKid));
        }
    }

    @Test
    void hsTokensWithAKidNeverWaitForTheJwks() throws Exception {
        try (JwksServer server = new JwksServer(List.of())) {
            server.delayMillis(1_500);
            JwtVerifier v = new JwtVerifier(urlSettings(SECRET, server.url()));
            String legacyKid = JwksFixtures.sign(new JWSHeader.Builder(JWSAlgorithm.HS256)
                    .keyID("legacy").build(), anonClaims(), new MACSigner(SECRET));
            long t0 = System.nanoTime();
            for (int i = 0; i < 10; i++) v.verify(legacyKid);
            long elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(elapsedMillis < 1_000, "HS verifications waited " + elapsedMillis + " ms for the JWKS");
        }
    }

    @Test
    void newOctKeyIsPickedUpWhenTheSecretFails() throws Exception {
        SigningKey oct = JwksFixtures.oct("hs-new", JWSAlgorithm.HS256);
        try (JwksServer server = new JwksServer(List.of())) {
            JwtVerifier v = new JwtVerifier(urlSettings(SECRET, server.url()), NO_RATE_LIMIT, DEFAULT_MAX_AGE);
            assertEquals(ErrorCode.TOKEN_SIGNATURE_INVALID, refusal(v, oct.anon()));
            server.serve(List.of(oct.publicJwk()));
            v.verify(oct.anon());
        }
        try (JwksServer server = new JwksServer(List.of())) {
            JwtVerifier noSecret = new JwtVerifier(urlSettings(null, server.url()), NO_RATE_LIMIT, DEFAULT_MAX_AGE);
            assertEquals(ErrorCode.TOKEN_SIGNER_UNAVAILABLE_FOR_KID, refusal(noSecret, oct.anon()));
            server.serve(List.of(oct.publicJwk()));
            noSecret.verify(oct.anon());
        }
    }

    @Test
    void bothSourcesMayBeConfigured() throws Exception {
        SigningKey fromFile = JwksFixtures.rsa("file-key", JWSAlgorithm.RS256);
        SigningKey fromUrl = JwksFixtures.ec("url-key", Curve.P_256, JWSAlgorithm.ES256);
        Path file = dir.resolve("jwks.json");
        JwksFixtures.writeJwks(file, List.<JWK>of(fromFile.publicJwk()));
        try (JwksServer server = new JwksServer(List.of(fromUrl.publicJwk()))) {
            JwtVerifier v = new JwtVerifier(new AuthSettings(SECRET, server.url(), file, 0, null, null, CLOCK));
            v.verify(fromFile.anon());
            v.verify(fromUrl.anon());
            v.verify(Tokens.anon(NOW + 60));
        }
    }
}
