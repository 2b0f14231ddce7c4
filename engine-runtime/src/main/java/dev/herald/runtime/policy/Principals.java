package dev.herald.runtime.policy;

import dev.herald.api.policy.Principal;
import dev.herald.runtime.auth.Claims;

/** Builds the policies' {@link Principal} from verified token claims. Stateless. */
public final class Principals {
    private Principals() {
    }

    /** The principal of a verified token. */
    public static Principal of(Claims claims) {
        return new Principal(claims.role(), claims.subject(), claims.all());
    }
}
