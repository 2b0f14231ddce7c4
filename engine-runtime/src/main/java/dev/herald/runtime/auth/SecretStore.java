package dev.herald.runtime.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Properties;

/**
 * The generated JWT secret of a development start and the keys signed with it: created once in the data directory
 * (owner-only permissions) and reused on later starts, so every start prints the same keys and keys handed out
 * earlier keep working.
 */
public final class SecretStore {
    static final String FILE_NAME = "jwt-secret";
    /** Beside the secret: the {@code anon} and {@code service_role} keys, one {@code role=key} line each. */
    public static final String KEYS_FILE_NAME = "jwt-keys";
    static final Duration KEY_LIFETIME = Duration.ofDays(3650);

    /** The keys of a development start, in the shape {@code supabase start} prints. */
    public record DevelopmentKeys(String anon, String serviceRole) {
    }

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
            byte[] random = new byte[bytes];
            new SecureRandom().nextBytes(random);
            String value = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            writeOwnerOnly(dataDir, fileName, value + "\n");
            return value;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or create " + what + " in " + dataDir.toAbsolutePath(), e);
        }
    }

    /**
     * The {@code anon} and {@code service_role} keys stored in {@code dataDir/jwt-keys}, minted with {@code secret}
     * and stored on first use. Stored keys are used only while they still verify with {@code secret}, carry their role
     * and have not expired; otherwise (the secret file was replaced, the file edited) both are minted and stored anew.
     */
    public static DevelopmentKeys loadOrMintKeys(Path dataDir, String secret) {
        Path file = dataDir.resolve(KEYS_FILE_NAME);
        try {
            if (Files.isRegularFile(file)) {
                Properties stored = new Properties();
                try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    stored.load(in);
                }
                String anon = stored.getProperty("anon");
                String serviceRole = stored.getProperty("service_role");
                if (validKey(anon, secret, "anon") && validKey(serviceRole, secret, "service_role")) {
                    return new DevelopmentKeys(anon, serviceRole);
                }
            }
            DevelopmentKeys keys = new DevelopmentKeys(mintKey(secret, "anon", KEY_LIFETIME), mintKey(secret, "service_role", KEY_LIFETIME));
            writeOwnerOnly(dataDir, KEYS_FILE_NAME, "# Development keys signed with the secret in " + FILE_NAME + " (minted once, printed at every start)\n"
                    + "anon=" + keys.anon() + "\nservice_role=" + keys.serviceRole() + "\n");
            return keys;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or create the development keys in " + dataDir.toAbsolutePath(), e);
        }
    }

    /** Whether {@code key} is an HS256 token signed with {@code secret} for {@code role} that has not expired. */
    static boolean validKey(String key, String secret, String role) {
        if (key == null || key.isBlank()) return false;
        try {
            SignedJWT jwt = SignedJWT.parse(key.strip());
            if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) return false;
            if (!jwt.verify(new MACVerifier(secret.getBytes(StandardCharsets.UTF_8)))) return false;
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            Date expires = claims.getExpirationTime();
            return role.equals(claims.getClaim("role")) && expires != null && expires.toInstant().isAfter(Instant.now());
        } catch (ParseException | JOSEException e) {
            return false;
        }
    }

    /** Writes {@code dataDir/fileName} atomically, readable by the owner only (it holds a secret). */
    private static void writeOwnerOnly(Path dataDir, String fileName, String content) throws IOException {
        Files.createDirectories(dataDir);
        Path tmp = Files.createTempFile(dataDir, fileName, ".tmp");
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // non-POSIX file system: the data directory's own protection applies
        }
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, dataDir.resolve(fileName), StandardCopyOption.ATOMIC_MOVE);
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
