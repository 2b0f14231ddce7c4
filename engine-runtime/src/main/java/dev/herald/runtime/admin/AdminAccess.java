package dev.herald.runtime.admin;

import dev.herald.runtime.auth.SecretStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The admin credential, separate from the applications' JWTs: one password for the user {@code admin}, checked
 * with HTTP Basic or exchanged for a session token at {@code POST /admin/api/login}. Comparisons run in constant
 * time over SHA-256 digests (so neither content nor length leaks). When no password is configured the API is
 * either disabled (with the reason) or uses a password generated into the data directory. Thread-safe.
 */
public final class AdminAccess {
    public static final String USER = "admin";
    static final String FILE_NAME = "admin-password";
    /** How long a console session lasts without a new login. */
    public static final long SESSION_TTL_MS = 12 * 60 * 60_000L;

    private final byte[] passwordDigest;
    private final String disabledReason;
    private final ConcurrentHashMap<String, Long> sessions = new ConcurrentHashMap<>();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The result of a credential check: who, or why not. */
    public record Caller(String actor, int status, String error) {
        public boolean allowed() {
            return status == 0;
        }
    }

    private AdminAccess(String password, String disabledReason) {
        this.passwordDigest = password == null ? null : sha256(password);
        this.disabledReason = disabledReason;
    }

    public static AdminAccess withPassword(String password) {
        return new AdminAccess(password, null);
    }

    public static AdminAccess disabled(String reason) {
        return new AdminAccess(null, reason);
    }

    public boolean enabled() {
        return passwordDigest != null;
    }

    /** Why the admin API is off, or null when it is on. */
    public String disabledReason() {
        return disabledReason;
    }

    /** Checks an {@code Authorization} header: {@code Basic} (user admin) or {@code Bearer <session token>}. */
    public Caller check(String authorization) {
        if (!enabled()) return new Caller(null, 503, disabledReason);
        if (authorization != null) {
            String a = authorization.strip();
            String scheme = a.contains(" ") ? a.substring(0, a.indexOf(' ')).toLowerCase(Locale.ROOT) : "";
            String value = a.contains(" ") ? a.substring(a.indexOf(' ') + 1).strip() : "";
            if (scheme.equals("basic")) {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    decoded = "";
                }
                int colon = decoded.indexOf(':');
                boolean userOk = colon > 0 && MessageDigest.isEqual(sha256(decoded.substring(0, colon)), sha256(USER));
                boolean passwordOk = colon > 0 && passwordMatches(decoded.substring(colon + 1));
                if (userOk && passwordOk) return new Caller(USER + " (basic)", 0, null);
            } else if (scheme.equals("bearer")) {
                String key = HexFormat.of().formatHex(sha256(value));
                Long expires = sessions.get(key);
                if (expires != null && expires > System.currentTimeMillis()) return new Caller(USER + " (session " + key.substring(0, 8) + ")", 0, null);
                if (expires != null) sessions.remove(key);
            }
        }
        return new Caller(null, 401, "admin credential missing or wrong (HTTP Basic user admin, or a session token from POST /admin/api/login)");
    }

    public boolean passwordMatches(String candidate) {
        return passwordDigest != null && candidate != null && MessageDigest.isEqual(sha256(candidate), passwordDigest);
    }

    /** A new session token for a correct password, or null. */
    public String login(String password) {
        if (!passwordMatches(password)) return null;
        long now = System.currentTimeMillis();
        sessions.values().removeIf(exp -> exp <= now);
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        sessions.put(HexFormat.of().formatHex(sha256(token)), now + SESSION_TTL_MS);
        return token;
    }

    public void logout(String token) {
        if (token != null) sessions.remove(HexFormat.of().formatHex(sha256(token)));
    }

    /** The generated password of a development start: created once in the data directory, owner-only. */
    public static String loadOrCreatePassword(Path dataDir) {
        return SecretStore.loadOrCreate(dataDir, FILE_NAME, 18, 16, "the admin password");
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
