package dev.herald.runtime.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

/**
 * The generated JWT secret of a development start: created once in the data directory (owner-only permissions) and
 * reused on later starts, so keys printed earlier keep working.
 */
public final class SecretStore {
    static final String FILE_NAME = "jwt-secret";

    private SecretStore() {
    }

    /** Returns the stored secret, generating 48 random bytes (base64url) on first use. */
    public static String loadOrCreate(Path dataDir) {
        return loadOrCreate(dataDir, FILE_NAME, 48, 32, "the JWT secret");
    }

    /**
     * A random value kept in {@code dataDir/fileName}: read when present (and at least {@code minLength} long),
     * otherwise {@code bytes} random bytes (base64url) written atomically, readable by the owner only.
     */
    public static String loadOrCreate(Path dataDir, String fileName, int bytes, int minLength, String what) {
        Path file = dataDir.resolve(fileName);
        try {
            if (Files.isRegularFile(file)) {
                String s = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (s.length() >= minLength) return s;
            }
            Files.createDirectories(dataDir);
            byte[] random = new byte[bytes];
            new SecureRandom().nextBytes(random);
            String value = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Path tmp = Files.createTempFile(dataDir, fileName, ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // non-POSIX file system: the data directory's own protection applies
            }
            Files.writeString(tmp, value + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return value;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or create " + what + " in " + dataDir.toAbsolutePath(), e);
        }
    }

    /** A long-lived HS256 key for {@code role}, in the shape {@code supabase start} prints. */
    public static String mintKey(String secret, String role, Duration lifetime) {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer("herald")
                .claim("role", role)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime)))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (JOSEException e) {
            throw new IllegalStateException("Cannot sign a key with the configured secret", e);
        }
        return jwt.serialize();
    }
}
