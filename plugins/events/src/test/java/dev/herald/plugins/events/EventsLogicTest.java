package dev.herald.plugins.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.RowChange;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import jakarta.ws.rs.WebApplicationException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventsLogicTest {

    private static Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private static void assertInvalid(String messagePart, Runnable r) {
        WebApplicationException e = assertThrows(WebApplicationException.class, r::run);
        assertEquals(400, e.getResponse().getStatus());
        @SuppressWarnings("unchecked") Map<String, Object> entity = (Map<String, Object>) e.getResponse().getEntity();
        assertEquals("InvalidInput", entity.get("error"));
        assertTrue(String.valueOf(entity.get("message")).contains(messagePart), () -> "message was " + entity);
    }

    @Test
    void createNeedsTitleAndCapacity() {
        EventInput in = EventInput.forCreate(body("title", " Meetup ", "capacity", 30, "starts_at", "2026-05-01T18:00:00Z"));
        assertEquals("Meetup", in.title());
        assertEquals(30, in.capacity());
        assertEquals(OffsetDateTime.parse("2026-05-01T18:00:00Z"), in.startsAt());
        assertInvalid("title is required", () -> EventInput.forCreate(body("capacity", 3)));
        assertInvalid("capacity is required", () -> EventInput.forCreate(body("title", "x")));
        assertInvalid("capacity must be between 1 and 100000", () -> EventInput.forCreate(body("title", "x", "capacity", 0)));
        assertInvalid("capacity must be a whole number", () -> EventInput.forCreate(body("title", "x", "capacity", "10")));
        assertInvalid("capacity must be a whole number", () -> EventInput.forCreate(body("title", "x", "capacity", 2.5)));
        assertInvalid("starts_at must be an ISO-8601", () -> EventInput.forCreate(body("title", "x", "capacity", 2, "starts_at", "tomorrow")));
        assertInvalid("unknown field(s) [participant_count]", () -> EventInput.forCreate(body("title", "x", "capacity", 2, "participant_count", 0)));
    }

    @Test
    void updateNeedsAtLeastOneKnownField() {
        assertInvalid("nothing to change", () -> EventInput.forUpdate(body()));
        EventInput in = EventInput.forUpdate(body("capacity", 5));
        assertEquals(5, in.capacity());
        assertNull(in.title());
    }

    @Test
    void capacityRules() {
        assertTrue(Capacity.hasRoom(0, 1));
        assertFalse(Capacity.hasRoom(1, 1));
        assertFalse(Capacity.hasRoom(5, 3));
        assertNull(Capacity.refuseResize(3, 3));
        assertEquals("capacity 2 is below the 3 participants already joined", Capacity.refuseResize(3, 2));
        assertTrue(Capacity.countMoved(1L, 2L));
        assertFalse(Capacity.countMoved(2L, 2L));
        assertTrue(Capacity.countMoved(null, 2L));
        assertFalse(Capacity.countMoved(2L, null));
    }

    @Test
    void hookPushesOnlyMovedCountsToThatEventsChannel() {
        List<List<Object>> sent = new ArrayList<>();
        EventsPlugin.CountHook hook = new EventsPlugin.CountHook((id, count, capacity) -> sent.add(List.of(id, count, capacity)));
        assertEquals("events", hook.table());
        hook.onChange(change(RowChange.Type.UPDATE, Map.of("id", 7L, "participant_count", 2L, "capacity", 5L, "title", "new"),
                Map.of("id", 7L, "participant_count", 2L, "capacity", 5L, "title", "old")));
        hook.onChange(change(RowChange.Type.INSERT, Map.of("id", 8L, "participant_count", 0L, "capacity", 5L), Map.of()));
        hook.onChange(change(RowChange.Type.DELETE, Map.of(), Map.of("id", 7L, "participant_count", 2L, "capacity", 5L)));
        assertTrue(sent.isEmpty(), "unmoved counts, inserts and deletes push nothing: " + sent);
        hook.onChange(change(RowChange.Type.UPDATE, Map.of("id", 7L, "participant_count", 3L, "capacity", 5L),
                Map.of("id", 7L, "participant_count", 2L, "capacity", 5L)));
        hook.onChange(change(RowChange.Type.UPDATE, Map.of("id", 7L, "participant_count", 2L, "capacity", 5L),
                Map.of("id", 7L, "participant_count", 3L, "capacity", 5L)));
        assertEquals(List.of(List.of(7L, 3L, 5L), List.of(7L, 2L, 5L)), sent);
        assertEquals(Map.of("event_id", 7L, "participant_count", 3L, "capacity", 5L), EventsPlugin.countPayload(7L, 3L, 5L));
    }

    private static RowChange change(RowChange.Type type, Map<String, Object> record, Map<String, Object> old) {
        return new RowChange("public", "events", type, record, old, Instant.now());
    }

    @Test
    void channelPolicyLetsSignedInUsersReadAndTrackButNotBroadcast() {
        EventsPlugin.EventChannelPolicy p = new EventsPlugin.EventChannelPolicy();
        Principal user = new Principal("authenticated", "u1", Map.of("sub", "u1"));
        assertEquals(Decision.ALLOW, p.decide(ChannelAction.READ, "event:1", user));
        assertEquals(Decision.ALLOW, p.decide(ChannelAction.PRESENCE_WRITE, "event:1", user));
        assertEquals(Decision.ABSTAIN, p.decide(ChannelAction.BROADCAST_WRITE, "event:1", user));
        assertEquals(Decision.ABSTAIN, p.decide(ChannelAction.READ, "event:1", new Principal("anon", null, Map.of())));
    }

    @Test
    void channelDefaultsFilterToTheEvent() {
        ChannelSpec spec = new EventsPlugin().channels().get(0);
        assertEquals("event:{id}", spec.topicPattern());
        assertEquals("id=eq.{id}", spec.defaultFilters().get("public.events"));
        assertEquals("event_id=eq.{id}", spec.defaultFilters().get("public.event_participants"));
        assertTrue(spec.presence());
        assertFalse(spec.broadcast());
    }

    @Test
    void activityCountsEachKindApart() {
        EventActivity activity = new EventActivity();
        activity.created();
        activity.joined();
        activity.joined();
        activity.refusedFull();
        activity.left();
        Map<String, Object> f = activity.state().figures();
        assertEquals(1L, f.get("events_created"));
        assertEquals(2L, f.get("joins"));
        assertEquals(1L, f.get("joins_refused_full"));
        assertEquals(1L, f.get("leaves"));
    }
}
