package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.protocol.Json;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Presence of one topic: presence key → metas, one meta per tracking channel. Each meta carries a fresh
 * {@code phx_ref}; an update is a leave of the old meta plus a join of the new one carrying {@code phx_ref_prev},
 * as Phoenix presence expresses it. Thread-safe (all methods synchronized; they are short and never do I/O).
 */
final class PresenceTracker {
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Entry(Channel channel, ObjectNode userMeta, ObjectNode wireMeta) {
    }

    /** A diff to fan out: {@code {"joins": {...}, "leaves": {...}}}. */
    record Diff(ObjectNode payload) {
    }

    private final Map<String, List<Entry>> byKey = new LinkedHashMap<>();
    private final Map<Channel, Entry> byChannel = new LinkedHashMap<>();

    /** Tracks or updates {@code channel}'s meta; {@code null} when the meta is unchanged (a no-op). */
    synchronized Diff track(Channel channel, ObjectNode meta) {
        Entry previous = byChannel.get(channel);
        if (previous != null && previous.userMeta().equals(meta)) return null;
        ObjectNode wire = meta.deepCopy();
        wire.put("phx_ref", newRef());
        ObjectNode joins = Json.object();
        ObjectNode leaves = Json.object();
        if (previous != null) {
            wire.put("phx_ref_prev", previous.wireMeta().get("phx_ref").asText());
            remove(previous);
            metas(leaves, channel.presenceKey()).add(previous.wireMeta());
        }
        Entry entry = new Entry(channel, meta.deepCopy(), wire);
        byChannel.put(channel, entry);
        byKey.computeIfAbsent(channel.presenceKey(), k -> new ArrayList<>()).add(entry);
        metas(joins, channel.presenceKey()).add(wire);
        return diff(joins, leaves);
    }

    /** Removes {@code channel}'s meta; {@code null} when it had none. */
    synchronized Diff untrack(Channel channel) {
        Entry previous = byChannel.get(channel);
        if (previous == null) return null;
        remove(previous);
        ObjectNode leaves = Json.object();
        metas(leaves, channel.presenceKey()).add(previous.wireMeta());
        return diff(Json.object(), leaves);
    }

    /** The full state as {@code presence_state} carries it: key → {"metas": [...]}. */
    synchronized ObjectNode state() {
        ObjectNode state = Json.object();
        byKey.forEach((key, entries) -> {
            ArrayNode metas = metas(state, key);
            entries.forEach(e -> metas.add(e.wireMeta()));
        });
        return state;
    }

    synchronized boolean isEmpty() {
        return byChannel.isEmpty();
    }

    private void remove(Entry e) {
        byChannel.remove(e.channel());
        List<Entry> list = byKey.get(e.channel().presenceKey());
        if (list != null) {
            list.remove(e);
            if (list.isEmpty()) byKey.remove(e.channel().presenceKey());
        }
    }

    private static ArrayNode metas(ObjectNode container, String key) {
        JsonNode existing = container.get(key);
        if (existing != null) return (ArrayNode) existing.get("metas");
        return container.putObject(key).putArray("metas");
    }

    private static Diff diff(ObjectNode joins, ObjectNode leaves) {
        ObjectNode p = Json.object();
        p.set("joins", joins);
        p.set("leaves", leaves);
        return new Diff(p);
    }

    /**
     * An opaque unique reference shaped like the reference server's (Base64 of the Erlang external term of 8 random
     * bytes: 20 characters starting {@code g20AAAAI}); clients only compare it for equality.
     */
    static String newRef() {
        byte[] term = new byte[14];
        term[0] = (byte) 131;
        term[1] = 109;
        term[5] = 8;
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        System.arraycopy(random, 0, term, 6, 8);
        return Base64.getEncoder().encodeToString(term);
    }
}
