package dev.herald.api.policy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Who is asking: the verified token of a channel (its {@code access_token}, or the connect-time token).
 *
 * <p>{@code role} is the token's {@code role} claim ({@code anon}, {@code authenticated}, {@code service_role}, ...);
 * {@code subject} its {@code sub} claim, or {@code null} when the token has none (the anon key). {@code claims} is the
 * full JWT claim set as decoded JSON: {@code String}, {@code Long}/{@code Double}, {@code Boolean}, {@code List} and
 * {@code Map} values (nested claims such as {@code app_metadata}); a JSON {@code null} may appear as a null value.
 *
 * <p>Immutable: the constructor keeps an unmodifiable copy of the top-level claim map. Nested maps and lists are not
 * copied; callers hand over claims they no longer modify and readers must treat them as read-only. Thread-safe.
 *
 * @param role the {@code role} claim, never null
 * @param subject the {@code sub} claim, or null
 * @param claims every claim of the token, never null (empty when unknown)
 */
public record Principal(String role, String subject, Map<String, Object> claims) {
    public Principal {
        Objects.requireNonNull(role, "role");
        claims = claims == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(claims));
    }
}
