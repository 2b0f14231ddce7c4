package dev.herald.runtime.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Set;

/**
 * EdDSA (Ed25519 / Ed448) signature verification for nimbus-jose-jwt through the JDK's built-in EdDSA provider.
 *
 * <p>nimbus-jose-jwt's own {@code Ed25519Verifier} needs the optional Google Tink library, which is not on Herald's
 * class path; {@link JwtVerifier} prefers it when it is present. This adapter does no cryptography itself: nimbus
 * parses the JWS and the JWK, and {@link Signature} ("Ed25519"/"Ed448", JDK 15+) verifies. The raw public key from
 * the JWK's {@code x} is wrapped in its fixed X.509 SubjectPublicKeyInfo prefix (RFC 8410) so the JDK can import it.
 *
 * <p>Thread-safe: the public key is immutable and every verification uses its own {@link Signature}.
 */
final class JdkEdDsaVerifier implements JWSVerifier {
    // SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (33 bytes: 0 unused bits + 32 key bytes) }
    private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    // SEQUENCE { SEQUENCE { OID 1.3.101.113 } BIT STRING (58 bytes: 0 unused bits + 57 key bytes) }
    private static final byte[] ED448_SPKI_PREFIX = {0x30, 0x43, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71, 0x03, 0x3a, 0x00};

    private final String jcaName;
    private final PublicKey publicKey;
    private final Set<JWSAlgorithm> algorithms;
    private final JCAContext jcaContext = new JCAContext();

    JdkEdDsaVerifier(OctetKeyPair jwk) throws JOSEException {
        Curve crv = jwk.getCurve();
        byte[] prefix;
        int length;
        if (Curve.Ed25519.equals(crv)) {
            jcaName = "Ed25519";
            prefix = ED25519_SPKI_PREFIX;
            length = 32;
            algorithms = Set.of(JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);
        } else if (Curve.Ed448.equals(crv)) {
            jcaName = "Ed448";
            prefix = ED448_SPKI_PREFIX;
            length = 57;
            algorithms = Set.of(JWSAlgorithm.EdDSA, JWSAlgorithm.Ed448);
        } else {
            throw new JOSEException("Curve " + crv + " is not an EdDSA signature curve");
        }
        byte[] x = jwk.getDecodedX();
        if (x == null || x.length != length) throw new JOSEException("Invalid " + jcaName + " public key length");
        byte[] spki = new byte[prefix.length + length];
        System.arraycopy(prefix, 0, spki, 0, prefix.length);
        System.arraycopy(x, 0, spki, prefix.length, length);
        try {
            publicKey = KeyFactory.getInstance(jcaName).generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new JOSEException("Cannot import " + jcaName + " public key: " + e.getMessage(), e);
        }
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return algorithms;
    }

    @Override
    public JCAContext getJCAContext() {
        return jcaContext;
    }

    @Override
    public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws JOSEException {
        if (!algorithms.contains(header.getAlgorithm())) {
            throw new JOSEException("Unsupported JWS algorithm " + header.getAlgorithm() + " for a " + jcaName + " key");
        }
        Set<String> crit = header.getCriticalParams();
        if (crit != null && !crit.isEmpty()) return false; // no critical extension is understood
        try {
            Signature verifier = Signature.getInstance(jcaName);
            verifier.initVerify(publicKey);
            verifier.update(signingInput);
            return verifier.verify(signature.decode());
        } catch (SignatureException e) {
            return false; // malformed signature bytes
        } catch (GeneralSecurityException e) {
            throw new JOSEException(jcaName + " verification unavailable: " + e.getMessage(), e);
        }
    }
}
