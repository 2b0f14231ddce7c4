package dev.herald.runtime.auth;

import java.nio.file.Path;
import java.time.Clock;

/**
 * What {@link JwtVerifier} checks tokens against.
 *
 * @param hsSecret          the HS256/384/512 secret, or {@code null} when only a JWKS is used
 * @param jwksUrl           an http(s) URL serving a JWKS, or {@code null}
 * @param jwksFile          a file holding a JWKS, or {@code null}
 * @param clockSkewSeconds  leeway applied to {@code exp} and {@code nbf} (0 = none, the reference default)
 * @param audience          when set, the token's {@code aud} (string or list) must contain it
 * @param issuer            when set, the token's {@code iss} must equal it
 * @param clock             the time source for claim checks ({@code null} = system UTC)
 */
public record AuthSettings(byte[] hsSecret, String jwksUrl, Path jwksFile, long clockSkewSeconds, String audience,
                           String issuer, Clock clock) {
    public AuthSettings {
        if (clockSkewSeconds < 0) throw new IllegalArgumentException("clock skew must not be negative: " + clockSkewSeconds);
        hsSecret = hsSecret == null ? null : hsSecret.clone();
        clock = clock == null ? Clock.systemUTC() : clock;
    }

    /** Settings for the HS secret alone. */
    public static AuthSettings ofSecret(byte[] hsSecret, long clockSkewSeconds, Clock clock) {
        return new AuthSettings(hsSecret, null, null, clockSkewSeconds, null, null, clock);
    }

    @Override
    public byte[] hsSecret() {
        return hsSecret == null ? null : hsSecret.clone();
    }

    @Override
    public String toString() {
        return "AuthSettings[hsSecret=" + (hsSecret == null ? "none" : "(" + hsSecret.length + " bytes)") + ", jwksUrl=" + jwksUrl
                + ", jwksFile=" + jwksFile + ", clockSkewSeconds=" + clockSkewSeconds + ", audience=" + audience
                + ", issuer=" + issuer + ", clock=" + clock + "]";
    }
}
