package dev.herald.api.plugin;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A channel family a plugin defines, e.g. {@code challenge:{id}}. It shapes what clients may do on channels whose
 * sub-topic matches {@link #topicPattern()} (pattern syntax of {@link dev.herald.api.policy.ChannelPolicy}); who may
 * join is decided by policies, not here.
 *
 * <ul>
 *   <li>{@link #tables()}: the only tables a postgres_changes binding on such a channel may name
 *       ({@code schema.table}); a binding on any other table is refused with an error in the join reply. Empty means
 *       no postgres_changes on this channel.</li>
 *   <li>{@link #defaultFilters()}: table → filter used when a binding names that table without a filter; captures of
 *       the pattern are substituted, so {@code challenge_id=eq.{id}} on {@code challenge:42} becomes
 *       {@code challenge_id=eq.42}.</li>
 *   <li>{@link #presence()} / {@link #broadcast()}: whether clients may track presence / send broadcasts there;
 *       a refused broadcast or track is dropped and counted, and the client gets an error reply when it asked for
 *       one.</li>
 * </ul>
 * When several specs match a topic, the first plugin's (in start order) applies. Immutable.
 *
 * @param topicPattern the channel family, e.g. {@code challenge:{id}}
 * @param description one line for the admin console
 * @param tables tables whose changes this channel may carry ({@code schema.table})
 * @param defaultFilters table → filter template for bindings without a filter
 * @param presence whether presence is allowed
 * @param broadcast whether client broadcasts are allowed
 */
public record ChannelSpec(String topicPattern, String description, List<String> tables, Map<String, String> defaultFilters,
                          boolean presence, boolean broadcast) {
    public ChannelSpec {
        Objects.requireNonNull(topicPattern, "topicPattern");
        description = description == null ? "" : description;
        tables = List.copyOf(tables);
        defaultFilters = Map.copyOf(defaultFilters);
        for (String t : defaultFilters.keySet()) {
            if (!tables.contains(t)) throw new IllegalArgumentException("default filter for " + t + " which is not among the channel's tables");
        }
    }
}
