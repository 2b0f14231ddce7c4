package dev.herald.runtime.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ChannelAuthorizerTest {
    private static final Principal USER = new Principal("authenticated", "u1", Map.of("sub", "u1", "role", "authenticated"));

    /** A fixed answer for some actions, ABSTAIN for the others; counts its calls. */
    private static class Fixed implements ChannelPolicy {
        final String pattern;
        final Decision decision;
        final Set<ChannelAction> actions;
        final AtomicInteger calls = new AtomicInteger();

        Fixed(String pattern, Decision decision, ChannelAction... actions) {
            this.pattern = pattern;
            this.decision = decision;
            this.actions = actions.length == 0 ? Set.of(ChannelAction.values()) : Set.of(actions);
        }

        @Override
        public String topicPattern() {
            return pattern;
        }

        @Override
        public Decision decide(ChannelAction action, String topic, Principal principal) {
            calls.incrementAndGet();
            return actions.contains(action) ? decision : Decision.ABSTAIN;
        }
    }

    @Test
    void defaultDenyWithoutPolicies() {
        ChannelAuthorizer none = new ChannelAuthorizer(List.of());
        for (ChannelAction a : ChannelAction.values()) assertEquals(Decision.DENY, none.decide(a, "room:1", USER));
        assertFalse(none.canJoin("room:1", USER, true));
    }

    @Test
    void abstentionsDeny() {
        ChannelAuthorizer auth = ChannelAuthorizer.of(new Fixed("room:*", Decision.ABSTAIN));
        assertEquals(Decision.DENY, auth.decide(ChannelAction.READ, "room:1", USER));
    }

    @Test
    void oneAllowSuffices() {
        ChannelAuthorizer auth = ChannelAuthorizer.of(new Fixed("room:*", Decision.ABSTAIN), new Fixed("room:*", Decision.ALLOW));
        assertEquals(Decision.ALLOW, auth.decide(ChannelAction.READ, "room:1", USER));
        assertTrue(auth.allowed(ChannelAction.BROADCAST_WRITE, "room:1", USER));
    }

    @Test
    void denyOverridesAllow() {
        Fixed allow = new Fixed("room:*", Decision.ALLOW);
        Fixed deny = new Fixed("**", Decision.DENY, ChannelAction.BROADCAST_WRITE);
        ChannelAuthorizer auth = ChannelAuthorizer.of(allow, deny);
        assertEquals(Decision.ALLOW, auth.decide(ChannelAction.READ, "room:1", USER));
        assertEquals(Decision.DENY, auth.decide(ChannelAction.BROADCAST_WRITE, "room:1", USER));
        // order does not matter
        assertEquals(Decision.DENY, ChannelAuthorizer.of(deny, allow).decide(ChannelAction.BROADCAST_WRITE, "room:1", USER));
    }

    @Test
    void onlyMatchingPoliciesAreConsulted() {
        Fixed otherDeny = new Fixed("lobby:*", Decision.DENY);
        Fixed claimDeny = new Fixed("user:{sub}", Decision.DENY);
        Fixed allow = new Fixed("**", Decision.ALLOW);
        ChannelAuthorizer auth = ChannelAuthorizer.of(otherDeny, claimDeny, allow);
        assertTrue(auth.allowed(ChannelAction.READ, "room:1", USER));
        assertTrue(auth.allowed(ChannelAction.READ, "user:someone-else", USER), "user:{sub} does not match another sub");
        assertFalse(auth.allowed(ChannelAction.READ, "user:u1", USER));
        assertEquals(0, otherDeny.calls.get());
        assertEquals(1, claimDeny.calls.get());
    }

    @Test
    void canJoinNeedsReadOrPresenceReadWhenPresenceIsEnabled() {
        ChannelAuthorizer presenceOnly = ChannelAuthorizer.of(new Fixed("room:*", Decision.ALLOW, ChannelAction.PRESENCE_READ));
        assertTrue(presenceOnly.canJoin("room:1", USER, true));
        assertFalse(presenceOnly.canJoin("room:1", USER, false), "presence read only counts when presence is enabled");

        ChannelAuthorizer readOnly = ChannelAuthorizer.of(new Fixed("room:*", Decision.ALLOW, ChannelAction.READ));
        assertTrue(readOnly.canJoin("room:1", USER, false));
        assertTrue(readOnly.canJoin("room:1", USER, true));

        ChannelAuthorizer writeOnly = ChannelAuthorizer.of(
                new Fixed("room:*", Decision.ALLOW, ChannelAction.BROADCAST_WRITE, ChannelAction.PRESENCE_WRITE));
        assertFalse(writeOnly.canJoin("room:1", USER, true), "write alone does not let anyone join");

        ChannelAuthorizer presenceDenied = ChannelAuthorizer.of(
                new Fixed("room:*", Decision.ALLOW, ChannelAction.PRESENCE_READ),
                new Fixed("room:*", Decision.DENY, ChannelAction.READ));
        assertTrue(presenceDenied.canJoin("room:1", USER, true), "a denied read still joins through presence read");
    }

    @Test
    void brokenPoliciesDeny() {
        ChannelPolicy throwing = new ChannelPolicy() {
            public String topicPattern() { return "room:*"; }
            public Decision decide(ChannelAction a, String t, Principal p) { throw new IllegalStateException("boom"); }
        };
        ChannelPolicy nullAnswer = new ChannelPolicy() {
            public String topicPattern() { return "room:*"; }
            public Decision decide(ChannelAction a, String t, Principal p) { return null; }
        };
        Fixed allow = new Fixed("**", Decision.ALLOW);
        assertFalse(ChannelAuthorizer.of(throwing, allow).allowed(ChannelAction.READ, "room:1", USER));
        assertFalse(ChannelAuthorizer.of(nullAnswer, allow).allowed(ChannelAction.READ, "room:1", USER));
        assertTrue(ChannelAuthorizer.of(throwing, allow).allowed(ChannelAction.READ, "lobby:1", USER));
    }

    @Test
    void nullPrincipalIsDenied() {
        ChannelAuthorizer auth = ChannelAuthorizer.of(new Fixed("**", Decision.ALLOW));
        assertFalse(auth.allowed(ChannelAction.READ, "room:1", null));
    }

    @Test
    void invalidPatternFailsConstructionNamingThePolicy() {
        Fixed bad = new Fixed("room:**:x", Decision.ALLOW) {
            @Override
            public String toString() { return "BadPolicy"; }
        };
        String msg = assertThrows(IllegalArgumentException.class, () -> ChannelAuthorizer.of(bad)).getMessage();
        assertTrue(msg.contains("BadPolicy") && msg.contains("room:**:x"), msg);
    }
}
