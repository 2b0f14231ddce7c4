package dev.herald.runtime.core;

import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.policy.ChannelAuthorizer;
import dev.herald.runtime.policy.Principals;

/**
 * The one check of what a principal may do on a private channel, for joins, token refreshes, presence tracks and
 * broadcasts from sockets and REST. Public channels never reach it. Default deny: a private topic needs a policy that
 * grants the action.
 *
 * <p>Thread-safe (the authoriser is immutable); callers cache answers on their {@link Channel} under the session lock.
 */
public final class ChannelAccess {
    /** What a join or a token refresh may read: broadcasts, and presence when the channel uses it. */
    record ReadRights(boolean broadcast, boolean presence) {
        boolean any() {
            return broadcast || presence;
        }
    }

    private final ChannelAuthorizer authorizer;

    public ChannelAccess(ChannelAuthorizer authorizer) {
        this.authorizer = authorizer;
    }

    /** Read rights on the private topic {@code name}; presence read is only asked for when {@code withPresence}. */
    ReadRights readRights(String name, Claims claims, boolean withPresence) {
        Principal principal = Principals.of(claims);
        return new ReadRights(authorizer.allowed(ChannelAction.READ, name, principal),
                withPresence && authorizer.allowed(ChannelAction.PRESENCE_READ, name, principal));
    }

    /** Whether {@code principal} (null: nobody) may perform {@code action} on the private topic {@code name}. */
    boolean allowed(ChannelAction action, String name, Principal principal) {
        return principal != null && authorizer.allowed(action, name, principal);
    }

    /** As {@link #allowed(ChannelAction, String, Principal)} for the holder of {@code claims}. */
    boolean allowed(ChannelAction action, String name, Claims claims) {
        return allowed(action, name, Principals.of(claims));
    }
}
