package dev.herald.runtime.policy;

import dev.herald.api.policy.Principal;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.auth.JwtVerifier;
import dev.herald.runtime.auth.TokenException;

/** Builds the policies' {@link Principal} from verified token claims. Stateless. */
public final class Principals {
    private Principals() {
    }

    /** The principal of a verified token. */
    public static Principal of(Claims claims) {
        return new Principal(claims.role(), claims.subject(), claims.all());
    }

    /**
     * The principal of {@code jwt} as plugins are told it ({@code PluginContext.verify}): a refusal is a
     * {@link SecurityException} saying why, so the plugin SPI carries no runtime exception type.
     */
    public static Principal verifiedForPlugin(JwtVerifier verifier, String jwt) {
        try {
            return of(verifier.verify(jwt));
        } catch (TokenException e) {
            throw new SecurityException(e.getMessage(), e);
        }
    }
}
