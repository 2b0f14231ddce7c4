package dev.herald.runtime.policy;

import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One {@code channels} entry of the policy file: a topic pattern and, per action, grants of which any one suffices.
 * Grant-only: it answers {@link Decision#ALLOW} or {@link Decision#ABSTAIN}, never {@link Decision#DENY}. Immutable
 * and thread-safe.
 */
final class RuleChannelPolicy implements ChannelPolicy {
    /** A claim condition: the claim at {@code path} equals (or, with {@code contains}, is a list holding) a value. */
    record ClaimCondition(String path, String literal, String capture, boolean contains) {
        boolean test(Principal principal, Map<String, String> captures) {
            String expected = capture != null ? captures.get(capture) : literal;
            if (expected == null) return false;
            Object actual = ClaimPaths.resolve(principal, path);
            return contains ? ClaimPaths.contains(actual, expected) : expected.equals(ClaimPaths.text(actual));
        }
    }

    /** Roles (null: any role) AND every claim condition. */
    record Grant(Set<String> roles, List<ClaimCondition> claims) {
        Grant {
            roles = roles == null ? null : Set.copyOf(roles);
            claims = List.copyOf(claims);
        }

        boolean test(Principal principal, Map<String, String> captures) {
            if (roles != null && !roles.contains(principal.role())) return false;
            for (ClaimCondition c : claims) {
                if (!c.test(principal, captures)) return false;
            }
            return true;
        }
    }

    private final String name;
    private final TopicPattern pattern;
    private final Map<ChannelAction, List<Grant>> grants;

    RuleChannelPolicy(String name, TopicPattern pattern, Map<ChannelAction, List<Grant>> grants) {
        this.name = name;
        this.pattern = pattern;
        EnumMap<ChannelAction, List<Grant>> copy = new EnumMap<>(ChannelAction.class);
        grants.forEach((a, g) -> copy.put(a, List.copyOf(g)));
        this.grants = copy;
    }

    @Override
    public String topicPattern() {
        return pattern.source();
    }

    @Override
    public Decision decide(ChannelAction action, String topic, Principal principal) {
        List<Grant> list = grants.get(action);
        if (list == null) return Decision.ABSTAIN;
        Map<String, String> captures = pattern.match(topic, principal);
        if (captures == null) return Decision.ABSTAIN;
        for (Grant g : list) {
            if (g.test(principal, captures)) return Decision.ALLOW;
        }
        return Decision.ABSTAIN;
    }

    @Override
    public String toString() {
        return name + " (" + pattern.source() + ")";
    }
}
