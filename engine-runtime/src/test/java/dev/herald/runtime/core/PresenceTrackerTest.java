package dev.herald.runtime.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.protocol.Json;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link PresenceTracker} on its own: state and diffs as {@code presence_state} and {@code presence_diff} carry them
 * (docs/wire-protocol.md "Presence"). The presence limits (5 calls per 30 s, meta size, events per second) are
 * enforced by the session before it calls the tracker, not by the tracker, so they are not tested here.
 */
class PresenceTrackerTest {
    private static final TopicKey KEY = new TopicKey(false, "room1");

    private final PresenceTracker tracker = new PresenceTracker();

    private static Channel channel(String presenceKey) {
        return new Channel(null, KEY, "1", JoinRequest.parse(Json.object()), presenceKey, null);
    }

    private static ObjectNode meta(String field, String value) {
        ObjectNode m = Json.object();
        m.put(field, value);
        return m;
    }

    private static List<JsonNode> metas(JsonNode container, String key) {
        JsonNode entry = container.get(key);
        assertTrue(entry != null && entry.isObject(), "an entry for " + key + " in " + container);
        assertEquals(Set.of("metas"), fieldNames(entry), "an entry holds only its metas");
        List<JsonNode> out = new ArrayList<>();
        entry.get("metas").forEach(out::add);
        return out;
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String ref(JsonNode meta) {
        return meta.get("phx_ref").asText();
    }

    @Test
    void aFirstTrackJoinsTheMetaWithAFreshRefAndLeavesNothing() {
        Channel ch = channel("alice");
        PresenceTracker.Diff diff = tracker.track(ch, meta("status", "online"));
        JsonNode p = diff.payload();
        assertEquals(Set.of("joins", "leaves"), fieldNames(p));
        assertEquals(0, p.get("leaves").size());
        List<JsonNode> joined = metas(p.get("joins"), "alice");
        assertEquals(1, joined.size());
        assertEquals("online", joined.get(0).get("status").asText());
        assertFalse(joined.get(0).has("phx_ref_prev"), "nothing to replace");
        assertEquals(Set.of("status", "phx_ref"), fieldNames(joined.get(0)));
        List<JsonNode> state = metas(tracker.state(), "alice");
        assertEquals(joined, state, "the state holds what the diff announced");
        assertFalse(tracker.isEmpty());
    }

    @Test
    void refsAreShapedLikeTheReferenceServersAndNeverRepeat() {
        Set<String> refs = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            String ref = PresenceTracker.newRef();
            assertEquals(20, ref.length(), ref);
            assertTrue(ref.startsWith("g20AAAAI"), ref);
            refs.add(ref);
        }
        assertEquals(1_000, refs.size());
    }

    @Test
    void keepsOneMetaPerChannelAndSeveralPerKeyInTrackOrder() {
        Channel tab1 = channel("alice");
        Channel tab2 = channel("alice");
        Channel other = channel("bob");
        tracker.track(tab1, meta("tab", "1"));
        tracker.track(other, meta("tab", "b"));
        tracker.track(tab2, meta("tab", "2"));
        ObjectNode state = tracker.state();
        assertEquals(List.of("alice", "bob"), List.copyOf(fieldNamesInOrder(state)));
        List<JsonNode> alice = metas(state, "alice");
        assertEquals(2, alice.size());
        assertEquals("1", alice.get(0).get("tab").asText());
        assertEquals("2", alice.get(1).get("tab").asText());
        assertNotEquals(ref(alice.get(0)), ref(alice.get(1)));
        assertEquals(1, metas(state, "bob").size());
    }

    private static List<String> fieldNamesInOrder(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void anUpdateLeavesTheOldMetaAndJoinsTheNewOneCarryingPhxRefPrev() {
        Channel ch = channel("alice");
        JsonNode first = metas(tracker.track(ch, meta("status", "online")).payload().get("joins"), "alice").get(0);
        PresenceTracker.Diff diff = tracker.track(ch, meta("status", "away"));
        List<JsonNode> left = metas(diff.payload().get("leaves"), "alice");
        List<JsonNode> joined = metas(diff.payload().get("joins"), "alice");
        assertEquals(List.of(first), left, "the leave is the old meta as it was announced");
        assertEquals(1, joined.size());
        assertEquals("away", joined.get(0).get("status").asText());
        assertEquals(ref(first), joined.get(0).get("phx_ref_prev").asText());
        assertNotEquals(ref(first), ref(joined.get(0)), "a fresh ref for the new meta");
        assertEquals(joined, metas(tracker.state(), "alice"), "only the new meta is left");
    }

    @Test
    void trackingAnEqualMetaAgainIsANoOp() {
        Channel ch = channel("alice");
        tracker.track(ch, meta("status", "online"));
        ObjectNode before = tracker.state().deepCopy();
        assertNull(tracker.track(ch, meta("status", "online")), "an equal (not the same) meta changes nothing");
        assertEquals(before, tracker.state(), "same meta, same phx_ref");
    }

    @Test
    void theCallersMetaIsCopiedNotKeptOrChanged() {
        Channel ch = channel("alice");
        ObjectNode mine = meta("status", "online");
        tracker.track(ch, mine);
        assertEquals(Set.of("status"), fieldNames(mine), "no phx_ref written into the caller's object");
        mine.put("status", "changed later");
        assertEquals("online", metas(tracker.state(), "alice").get(0).get("status").asText());
        assertTrue(tracker.track(ch, mine) != null, "compared with the meta as tracked, not with the caller's object");
    }

    @Test
    void untrackLeavesTheChannelsMetaOnly() {
        Channel tab1 = channel("alice");
        Channel tab2 = channel("alice");
        JsonNode m1 = metas(tracker.track(tab1, meta("tab", "1")).payload().get("joins"), "alice").get(0);
        JsonNode m2 = metas(tracker.track(tab2, meta("tab", "2")).payload().get("joins"), "alice").get(0);
        PresenceTracker.Diff diff = tracker.untrack(tab1);
        assertEquals(0, diff.payload().get("joins").size());
        assertEquals(List.of(m1), metas(diff.payload().get("leaves"), "alice"));
        assertEquals(List.of(m2), metas(tracker.state(), "alice"), "the other tab stays");
        assertFalse(tracker.isEmpty());
    }

    @Test
    void untrackingWhatIsNotTrackedIsANoOp() {
        Channel ch = channel("alice");
        assertNull(tracker.untrack(ch));
        tracker.track(ch, meta("a", "b"));
        tracker.untrack(ch);
        assertNull(tracker.untrack(ch), "a second untrack");
        assertNull(tracker.untrack(channel("alice")), "another channel with the same key tracked nothing");
    }

    @Test
    void whenTheLastSessionLeavesTheKeyIsGoneAndTheTrackerIsEmpty() {
        Channel tab1 = channel("alice");
        Channel tab2 = channel("alice");
        Channel bob = channel("bob");
        tracker.track(tab1, meta("tab", "1"));
        tracker.track(tab2, meta("tab", "2"));
        tracker.track(bob, meta("tab", "b"));
        tracker.untrack(tab1);
        tracker.untrack(tab2);
        assertEquals(List.of("bob"), fieldNamesInOrder(tracker.state()), "no empty entry left for alice");
        tracker.untrack(bob);
        assertEquals(0, tracker.state().size());
        assertTrue(tracker.isEmpty());
        // A channel that comes back is a fresh join, not an update.
        JsonNode again = metas(tracker.track(tab1, meta("tab", "1")).payload().get("joins"), "alice").get(0);
        assertFalse(again.has("phx_ref_prev"));
    }

    @Test
    void anEmptyPresenceKeyIsAKeyLikeAnyOther() {
        Channel ch = channel("");
        tracker.track(ch, Json.object());
        List<JsonNode> metas = metas(tracker.state(), "");
        assertEquals(1, metas.size());
        assertEquals(Set.of("phx_ref"), fieldNames(metas.get(0)));
    }
}
