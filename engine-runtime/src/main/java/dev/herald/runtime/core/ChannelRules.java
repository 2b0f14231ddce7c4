package dev.herald.runtime.core;

import dev.herald.runtime.auth.Claims;

/**
 * What channel declarations (plugins') say about a topic at join: which tables its postgres_changes bindings may name,
 * which default filter narrows them, and whether broadcast and presence are allowed. Consulted once per join on the
 * socket thread, under the session lock; implementations are immutable and thread-safe.
 */
public interface ChannelRules {
    /** No declarations: every channel is unrestricted. */
    ChannelRules NONE = (topic, claims) -> null;

    /** The rule for the channel {@code topic} (its sub-topic) as seen by the holder of {@code claims}, or null when none applies. */
    Rule ruleFor(String topic, Claims claims);

    /** The declaration that applies to one joined channel. */
    interface Rule {
        /** Whether a postgres_changes binding may name {@code schema.table}. */
        boolean allowsTable(String schema, String table);

        /** The filter a binding on {@code schema.table} without its own gets, or null. */
        String defaultFilter(String schema, String table);

        /** Whether clients may broadcast on the channel. */
        boolean broadcastAllowed();

        /** Whether clients may track presence on the channel. */
        boolean presenceAllowed();
    }
}
