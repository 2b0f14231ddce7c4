package dev.herald.runtime.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Keys, signed tokens and JWKS sources (a file, a local HTTP server) for the verifier tests. */
final class JwksFixtures {
    static final long NOW = 1_800_000_000L;

    private JwksFixtures() {
    }

    /** A signing key: its public JWK (what a JWKS publishes) and a nimbus signer. */
    record SigningKey(JWK publicJwk, JWSSigner signer, JWSAlgorithm alg) {
        String kid() {
            return publicJwk.getKeyID();
        }

        String sign(Map<String, Object> claims) {
            return JwksFixtures.sign(new JWSHeader.Builder(alg).keyID(kid()).build(), claims, signer);
        }

        String signWithoutKid(Map<String, Object> claims) {
            return JwksFixtures.sign(new JWSHeader.Builder(alg).build(), claims, signer);
        }

        String anon() {
            return sign(anonClaims());
        }
    }

    static Map<String, Object> anonClaims() {
        return claims("role", "anon", "exp", NOW + 60, "sub", "user-1");
    }

    /** Claims in order; values may not be null. */
    static Map<String, Object> claims(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static String sign(JWSHeader header, Map<String, Object> claims, JWSSigner signer) {
        try {
            JWSObject jws = new JWSObject(header, new Payload(claims));
            jws.sign(signer);
            return jws.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static SigningKey rsa(String kid, JWSAlgorithm alg) {
        try {
            RSAKey key = new RSAKeyGenerator(2048).keyID(kid).generate();
            return new SigningKey(key.toPublicJWK(), new RSASSASigner(key), alg);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static SigningKey ec(String kid, Curve curve, JWSAlgorithm alg) {
        try {
            ECKey key = new ECKeyGenerator(curve).keyID(kid).generate();
            return new SigningKey(key.toPublicJWK(), new ECDSASigner(key), alg);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static SigningKey oct(String kid, JWSAlgorithm alg) {
        try {
            OctetSequenceKey key = new OctetSequenceKeyGenerator(512).keyID(kid).generate();
            return new SigningKey(key, new MACSigner(key), alg);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * An Ed25519 key. nimbus' own Ed25519 signer needs the optional Tink library, which is not on the class path, so
     * the JDK's EdDSA provider signs; nimbus still builds the JWK and the JWS.
     */
    static SigningKey ed25519(String kid) {
        return edKey(kid, "Ed25519", Curve.Ed25519, 32);
    }

    static SigningKey ed448(String kid) {
        return edKey(kid, "Ed448", Curve.Ed448, 57);
    }

    private static SigningKey edKey(String kid, String jcaName, Curve curve, int length) {
        try {
            KeyPair pair = KeyPairGenerator.getInstance(jcaName).generateKeyPair();
            byte[] spki = pair.getPublic().getEncoded();
            byte[] x = Arrays.copyOfRange(spki, spki.length - length, spki.length);
            OctetKeyPair jwk = new OctetKeyPair.Builder(curve, Base64URL.encode(x)).keyID(kid).build();
            return new SigningKey(jwk, new JdkEdSigner(jcaName, pair.getPrivate()), JWSAlgorithm.EdDSA);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Test-only EdDSA signer over the JDK provider. */
    private record JdkEdSigner(String jcaName, PrivateKey key) implements JWSSigner {
        @Override
        public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
            try {
                Signature s = Signature.getInstance(jcaName);
                s.initSign(key);
                s.update(signingInput);
                return Base64URL.encode(s.sign());
            } catch (GeneralSecurityException e) {
                throw new JOSEException(e.getMessage(), e);
            }
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return Set.of(JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519, JWSAlgorithm.Ed448);
        }

        @Override
        public JCAContext getJCAContext() {
            return new JCAContext();
        }
    }

    static String jwksJson(List<JWK> keys) {
        return new JWKSet(keys).toString(false);
    }

    /** Atomically replaces {@code file} with a JWKS of {@code keys} (a new inode, so the change is always visible). */
    static void writeJwks(Path file, List<JWK> keys) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), "jwks", ".tmp");
        Files.writeString(tmp, jwksJson(keys), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A JWKS endpoint on 127.0.0.1 (ephemeral port) whose document, status and delay can be changed and whose
     *  fetches are counted. */
    static final class JwksServer implements AutoCloseable {
        private final HttpServer server;
        private final AtomicInteger fetches = new AtomicInteger();
        private volatile String body = "{\"keys\":[]}";
        private volatile int status = 200;
        private volatile long delayMillis;

        JwksServer(List<JWK> keys) throws IOException {
            serve(keys);
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "test-jwks-server");
                t.setDaemon(true);
                return t;
            }));
            server.createContext("/.well-known/jwks.json", exchange -> {
                fetches.incrementAndGet();
                try {
                    long delay = delayMillis;
                    if (delay > 0) Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(status, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            });
            server.start();
        }

        void serve(List<JWK> keys) {
            body = jwksJson(keys);
        }

        void status(int status) {
            this.status = status;
        }

        void delayMillis(long delay) {
            this.delayMillis = delay;
        }

        int fetches() {
            return fetches.get();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/.well-known/jwks.json";
        }

        @Override
        public void close() {
            server.stop(0);
            ((ExecutorService) server.getExecutor()).shutdownNow();
        }
    }
}
