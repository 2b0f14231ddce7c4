package dev.herald.runtime.policy;

import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import java.util.Map;
import java.util.Set;

/**
 * The policy file's {@code bypass_roles}: roles that may do anything on every private channel and see every row of
 * the tables that have row policies — Herald's form of PostgreSQL's {@code BYPASSRLS} (which Supabase's
 * {@code service_role} has). Allows for those roles, abstains for everyone else, so a plugin's DENY still wins.
 * Immutable and thread-safe.
 */
final class RoleBypass {
    private RoleBypass() {
    }

    /** Allows every action on every topic for {@code roles}. */
    record Channels(Set<String> roles) implements ChannelPolicy {
        Channels {
            roles = Set.copyOf(roles);
        }

        @Override
        public String topicPattern() {
            return "**";
        }

        @Override
        public Decision decide(ChannelAction action, String topic, Principal principal) {
            return roles.contains(principal.role()) ? Decision.ALLOW : Decision.ABSTAIN;
        }
    }

    /** Allows every row of {@code schema.table} for {@code roles}. */
    record Rows(String schema, String table, Set<String> roles) implements RowPolicy {
        Rows {
            roles = Set.copyOf(roles);
        }

        @Override
        public Set<String> claimKeys() {
            return Set.of("role");
        }

        @Override
        public Set<String> columns() {
            return Set.of();
        }

        @Override
        public boolean allows(Map<String, Object> claimProjection, Map<String, Object> row) {
            Object role = claimProjection.get("role");
            return role instanceof String r && roles.contains(r);
        }
    }
}
