package dev.herald.runtime.auth;

import java.util.Map;

/**
 * The verified claims of a token. {@code all} is the full claim set (later handed to policies); {@code exp} is in
 * epoch seconds. Immutable.
 */
public record Claims(String token, Map<String, Object> all, String role, String subject, long exp) {
    public Claims {
        all = Map.copyOf(all);
    }
}
