package dev.herald.runtime.core;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.protocol.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The presence state of every topic on this node: one {@link PresenceTracker} per topic, created on first use and let
 * go when nobody is tracked or subscribed any more. Thread-safe; a tracker's own operations are atomic (see
 * {@link PresenceTracker}).
 */
public final class PresenceRegistry {
    private static final TypeReference<Map<String, Object>> META = new TypeReference<>() { };

    private final Broker broker;
    private final ConcurrentHashMap<TopicKey, PresenceTracker> trackers = new ConcurrentHashMap<>();

    public PresenceRegistry(Broker broker) {
        this.broker = broker;
    }

    /** The topic's tracker, created if needed; hand it back with {@link #release} when done. */
    PresenceTracker tracker(TopicKey key) {
        return trackers.computeIfAbsent(key, k -> new PresenceTracker());
    }

    /** Lets the topic's tracker go if it is still {@code tracker}, empty, and nobody is subscribed to the topic. */
    void release(TopicKey key, PresenceTracker tracker) {
        trackers.computeIfPresent(key, (k, t) -> t == tracker && t.isEmpty() && broker.subscribers(k) == 0 ? null : t);
    }

    /** Number of presence keys tracked on the topic. */
    public int members(TopicKey key) {
        PresenceTracker t = trackers.get(key);
        return t == null ? 0 : t.state().size();
    }

    /** The topic's presence as plain values: key → metas (an empty map when nobody is tracked). */
    public Map<String, List<Map<String, Object>>> snapshot(TopicKey key) {
        PresenceTracker tracker = trackers.get(key);
        Map<String, List<Map<String, Object>>> out = new LinkedHashMap<>();
        if (tracker == null) return out;
        tracker.state().fields().forEachRemaining(e -> {
            List<Map<String, Object>> metas = new ArrayList<>();
            for (JsonNode m : e.getValue().path("metas")) metas.add(Json.MAPPER.convertValue(m, META));
            out.put(e.getKey(), List.copyOf(metas));
        });
        return out;
    }
}
