package dev.herald.runtime.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The development keys are minted once, stored beside the secret and reused while they still fit the secret. */
class SecretStoreTest {
    @TempDir
    Path dataDir;

    @Test
    void keysAreMintedOnceAndReadBackOnLaterStarts() throws Exception {
        String secret = SecretStore.loadOrCreate(dataDir);
        SecretStore.DevelopmentKeys first = SecretStore.loadOrMintKeys(dataDir, secret);
        Thread.sleep(1100); // a new mint would differ at least in iat (seconds)
        SecretStore.DevelopmentKeys second = SecretStore.loadOrMintKeys(dataDir, SecretStore.loadOrCreate(dataDir));

        assertEquals(first, second);
        assertEquals("anon", SignedJWT.parse(first.anon()).getJWTClaimsSet().getClaim("role"));
        assertEquals("service_role", SignedJWT.parse(first.serviceRole()).getJWTClaimsSet().getClaim("role"));
        Path file = dataDir.resolve(SecretStore.KEYS_FILE_NAME);
        String stored = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(stored.contains("anon=" + first.anon() + "\n"), stored);
        assertTrue(stored.contains("service_role=" + first.serviceRole() + "\n"), stored);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void keysOfAnotherSecretAreReplaced() {
        SecretStore.DevelopmentKeys old = SecretStore.loadOrMintKeys(dataDir, "a-secret-of-at-least-thirty-two-bytes-1");
        String newSecret = "a-secret-of-at-least-thirty-two-bytes-2";
        SecretStore.DevelopmentKeys keys = SecretStore.loadOrMintKeys(dataDir, newSecret);

        assertNotEquals(old.anon(), keys.anon());
        assertTrue(SecretStore.validKey(keys.anon(), newSecret, "anon"));
        assertTrue(SecretStore.validKey(keys.serviceRole(), newSecret, "service_role"));
        assertEquals(keys, SecretStore.loadOrMintKeys(dataDir, newSecret));
    }

    @Test
    void expiredOrForeignStoredKeysAreReplaced() throws Exception {
        String secret = "a-secret-of-at-least-thirty-two-bytes-3";
        String expired = SecretStore.mintKey(secret, "anon", Duration.ofSeconds(-60));
        String good = SecretStore.mintKey(secret, "service_role", Duration.ofDays(1));
        Files.writeString(dataDir.resolve(SecretStore.KEYS_FILE_NAME), "anon=" + expired + "\nservice_role=" + good + "\n");

        SecretStore.DevelopmentKeys keys = SecretStore.loadOrMintKeys(dataDir, secret);

        assertNotEquals(expired, keys.anon());
        assertTrue(SecretStore.validKey(keys.anon(), secret, "anon"));
        assertFalse(SecretStore.validKey(good, secret, "anon"), "a key of another role does not count");
        assertFalse(SecretStore.validKey("not a jwt", secret, "anon"));
    }
}
