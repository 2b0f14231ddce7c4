package dev.herald.runtime.policy;

import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Combines every {@link ChannelPolicy} (plugins' and the policy file's) into one answer for private channels.
 *
 * <p>For (action, topic, principal) only the policies whose pattern matches the topic for that principal are asked.
 * Any {@link Decision#DENY} wins; otherwise one {@link Decision#ALLOW} grants; otherwise — only abstentions, or no
 * matching policy at all — the action is denied (private channels are default-deny). A policy that throws or returns
 * null counts as a deny (logged), so a broken policy never opens a channel. A null principal is always denied.
 *
 * <p>Patterns are compiled once, at construction (an invalid pattern throws {@link IllegalArgumentException} naming the
 * policy). Policies are indexed by their first literal segment, so a check touches only the policies that could match.
 * Immutable and thread-safe.
 */
public final class ChannelAuthorizer {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelAuthorizer.class);

    private record Entry(ChannelPolicy policy, TopicPattern pattern) {
    }

    private final Map<String, List<Entry>> byFirstLiteral;
    private final List<Entry> wildcardFirst;
    private final int size;

    public ChannelAuthorizer(Collection<? extends ChannelPolicy> policies) {
        Map<String, List<Entry>> index = new HashMap<>();
        List<Entry> wildcard = new ArrayList<>();
        for (ChannelPolicy policy : policies) {
            TopicPattern pattern;
            try {
                pattern = TopicPattern.compile(policy.topicPattern());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("channel policy " + policy + ": " + e.getMessage(), e);
            }
            Entry entry = new Entry(policy, pattern);
            String first = pattern.firstLiteral();
            if (first == null) {
                wildcard.add(entry);
            } else {
                index.computeIfAbsent(first, k -> new ArrayList<>()).add(entry);
            }
        }
        index.replaceAll((k, v) -> List.copyOf(v));
        this.byFirstLiteral = Map.copyOf(index);
        this.wildcardFirst = List.copyOf(wildcard);
        this.size = policies.size();
    }

    /** An authorizer over {@code policies}. */
    public static ChannelAuthorizer of(ChannelPolicy... policies) {
        return new ChannelAuthorizer(List.of(policies));
    }

    /** How many policies this authorizer combines. */
    public int size() {
        return size;
    }

    /** The combined decision: {@link Decision#ALLOW} or {@link Decision#DENY}, never {@link Decision#ABSTAIN}. */
    public Decision decide(ChannelAction action, String topic, Principal principal) {
        if (action == null || topic == null || principal == null) return Decision.DENY;
        int colon = topic.indexOf(':');
        String first = colon < 0 ? topic : topic.substring(0, colon);
        boolean allowed = false;
        List<Entry> literal = byFirstLiteral.get(first);
        if (literal != null) {
            for (Entry e : literal) {
                Decision d = ask(e, action, topic, principal);
                if (d == Decision.DENY) return Decision.DENY;
                allowed |= d == Decision.ALLOW;
            }
        }
        for (Entry e : wildcardFirst) {
            Decision d = ask(e, action, topic, principal);
            if (d == Decision.DENY) return Decision.DENY;
            allowed |= d == Decision.ALLOW;
        }
        return allowed ? Decision.ALLOW : Decision.DENY;
    }

    /** Whether {@code action} is allowed (see {@link #decide}). */
    public boolean allowed(ChannelAction action, String topic, Principal principal) {
        return decide(action, topic, principal) == Decision.ALLOW;
    }

    /**
     * The join check of a private channel (docs/wire-protocol.md, Join checks): broadcast read allowed, or — only when presence is
     * enabled for the channel — presence read allowed.
     */
    public boolean canJoin(String topic, Principal principal, boolean presenceEnabled) {
        return allowed(ChannelAction.READ, topic, principal)
                || (presenceEnabled && allowed(ChannelAction.PRESENCE_READ, topic, principal));
    }

    private static Decision ask(Entry e, ChannelAction action, String topic, Principal principal) {
        if (!e.pattern.matches(topic, principal)) return Decision.ABSTAIN;
        try {
            Decision d = e.policy.decide(action, topic, principal);
            if (d == null) {
                LOG.warn("Channel policy {} returned null for {} on '{}'; treated as deny", e.policy, action, topic);
                return Decision.DENY;
            }
            return d;
        } catch (RuntimeException ex) {
            LOG.warn("Channel policy {} failed for {} on '{}'; treated as deny", e.policy, action, topic, ex);
            return Decision.DENY;
        }
    }
}
