package dev.herald.plugins.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.RowChange;
import dev.herald.testing.PluginHarness;
import dev.herald.testing.RecordedBroadcast;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The events plugin driven through the test kit: real migrations, real REST resource, hooks and state. */
class EventsPluginTest {

    private static final Map<String, Object> MEETUP = Map.of("title", "Meetup", "capacity", 1);

    @Test
    void aUserCreatesAnEventOthersSeeItAndOnlyTheOwnerChangesIt() throws Exception {
        try (PluginHarness h = PluginHarness.of(new EventsPlugin()).start()) {
            EventsApi alice = h.rest(PluginHarness.user("alice"), EventsApi.class);
            Response created = alice.create(MEETUP);
            assertEquals(201, created.getStatus());
            long id = idOf(created.getEntity());
            assertEquals("Meetup", alice.get(String.valueOf(id)).get("title"));
            assertEquals(1, alice.mine().size());

            EventsApi bob = h.rest(PluginHarness.user("bob"), EventsApi.class);
            assertEquals(1, bob.list().size(), "events are visible to every signed-in user");
            assertEquals(List.of(), bob.mine());
            assertRefused(403, "Forbidden", "event " + id + " belongs to another user", () -> bob.update(String.valueOf(id), Map.of("title", "Mine now")));
            assertRefused(403, "Forbidden", "event " + id + " belongs to another user", () -> bob.delete(String.valueOf(id)));
            assertEquals("Meetup", alice.get(String.valueOf(id)).get("title"));
        }
    }

    @Test
    void aFullEventRefusesTheJoinAndWritesNothing() throws Exception {
        try (PluginHarness h = PluginHarness.of(new EventsPlugin()).start()) {
            long id = idOf(h.rest(PluginHarness.user("alice"), EventsApi.class).create(MEETUP).getEntity());
            String event = String.valueOf(id);
            Response joined = h.rest(PluginHarness.user("bob"), EventsApi.class).join(event);
            assertEquals(201, joined.getStatus());
            assertEquals(1, ((Map<?, ?>) joined.getEntity()).get("participant_count"));
            assertEquals(200, h.rest(PluginHarness.user("bob"), EventsApi.class).join(event).getStatus(), "a repeated join changes nothing");

            assertRefused(409, "Conflict", "event " + id + " is full (1 of 1 places taken)",
                    () -> h.rest(PluginHarness.user("carol"), EventsApi.class).join(event));
            assertEquals(1L, h.count("SELECT count(*) FROM event_participants WHERE event_id = " + id));
            assertEquals(1L, h.count("SELECT participant_count FROM events WHERE id = " + id));
            assertEquals(List.of("bob"), h.rest(PluginHarness.user("alice"), EventsApi.class).participants(event).stream()
                    .map(p -> p.get("user_id")).toList());
        }
    }

    @Test
    void anInvalidEventIsRefusedWithA400AndNothingIsWritten() throws Exception {
        try (PluginHarness h = PluginHarness.of(new EventsPlugin()).start()) {
            EventsApi alice = h.rest(PluginHarness.user("alice"), EventsApi.class);
            WebApplicationException e = assertThrows(WebApplicationException.class, () -> alice.create(Map.of("title", "x", "capacity", 0)));
            assertEquals(400, e.getResponse().getStatus());
            assertEquals(Map.of("error", "InvalidInput", "message", "capacity must be between 1 and 100000"), e.getResponse().getEntity());
            assertEquals(0L, h.count("SELECT count(*) FROM events"));
        }
    }

    @Test
    void aCallerWithoutSubIsRefusedBeforeAnyQuery() {
        try (PluginHarness h = PluginHarness.of(new EventsPlugin()).start()) {
            EventsApi api = h.rest(PluginHarness.serviceRole(), EventsApi.class);
            String text = "this needs a signed-in user (the token has no sub)";
            assertRefused(403, "Forbidden", text, () -> api.create(Map.of("title", "t", "capacity", 3)));
            assertRefused(403, "Forbidden", text, api::mine);
            assertRefused(403, "Forbidden", text, api::joined);
            assertRefused(403, "Forbidden", text, () -> api.update("1", Map.of("title", "t")));
            assertRefused(403, "Forbidden", text, () -> api.delete("1"));
            assertRefused(403, "Forbidden", text, () -> api.join("1"));
            assertRefused(403, "Forbidden", text, () -> api.leave("1"));
            assertRefused(403, "Forbidden", text, () -> h.rest(PluginHarness.anon(), EventsApi.class).join("1"));
        }
    }

    @Test
    void aMovedCountIsBroadcastOnThePublicAndPrivateChannelOfTheEvent() {
        try (PluginHarness h = PluginHarness.of(new EventsPlugin()).start()) {
            h.change(new RowChange("public", "events", RowChange.Type.UPDATE, Map.of("id", 7L, "participant_count", 2L, "capacity", 5L, "title", "new"),
                    Map.of("id", 7L, "participant_count", 2L, "capacity", 5L, "title", "old"), Instant.now()));
            h.change(new RowChange("public", "events", RowChange.Type.INSERT, Map.of("id", 8L, "participant_count", 0L, "capacity", 5L), Map.of(), Instant.now()));
            assertEquals(List.of(), h.broadcasts(), "an unmoved count and an insert push nothing");

            h.change(new RowChange("public", "events", RowChange.Type.UPDATE, Map.of("id", 7L, "participant_count", 3L, "capacity", 5L),
                    Map.of("id", 7L, "participant_count", 2L, "capacity", 5L), Instant.now()));
            List<RecordedBroadcast> sent = h.broadcasts();
            assertEquals(2, sent.size(), "public and private channel");
            for (RecordedBroadcast b : sent) {
                assertEquals("event:7", b.topic());
                assertEquals("participant_count", b.event());
                assertEquals("{\"event_id\":7,\"participant_count\":3,\"capacity\":5}", b.json());
            }
            assertEquals(List.of(false, true), sent.stream().map(RecordedBroadcast::privateChannel).toList());
            assertEquals(1L, h.state().figures().get("count_broadcasts"));
        }
    }

    @Test
    void aRealJoinsCommittedRowFedToTheHookBroadcastsTheNewCount() throws Exception {
        try (PluginHarness h = PluginHarness.of(new EventsPlugin()).start()) {
            String id = String.valueOf(idOf(h.rest(PluginHarness.user("alice"), EventsApi.class).create(Map.of("title", "Talk", "capacity", 3)).getEntity()));
            Map<String, Object> before = h.rest(PluginHarness.user("alice"), EventsApi.class).get(id);
            h.rest(PluginHarness.user("bob"), EventsApi.class).join(id);
            Map<String, Object> after = h.rest(PluginHarness.user("bob"), EventsApi.class).get(id);
            h.change(new RowChange("public", "events", RowChange.Type.UPDATE, after, before, Instant.now()));
            List<RecordedBroadcast> sent = h.broadcasts();
            assertEquals(2, sent.size());
            assertEquals("event:" + id, sent.get(0).topic());
            assertEquals("{\"event_id\":" + id + ",\"participant_count\":1,\"capacity\":3}", sent.get(0).json());
        }
    }

    @Test
    void stateCountsRequestsCreationsJoinsRefusalsAndLeaves() throws Exception {
        try (PluginHarness h = PluginHarness.of(new EventsPlugin()).start()) {
            PluginState state = h.state();
            assertEquals(PluginState.Health.OK, state.health());
            assertEquals(List.of("rest_requests", "events_created", "joins", "joins_refused_full", "leaves", "count_broadcasts"),
                    List.copyOf(state.figures().keySet()));
            assertEquals(0L, state.figures().get("rest_requests"));

            String event = String.valueOf(idOf(h.rest(PluginHarness.user("alice"), EventsApi.class).create(MEETUP).getEntity()));
            h.rest(PluginHarness.user("bob"), EventsApi.class).join(event);
            assertThrows(WebApplicationException.class, () -> h.rest(PluginHarness.user("carol"), EventsApi.class).join(event));
            h.rest(PluginHarness.user("bob"), EventsApi.class).leave(event);

            Map<String, Object> figures = h.state().figures();
            assertEquals(4L, figures.get("rest_requests"));
            assertEquals(1L, figures.get("events_created"));
            assertEquals(1L, figures.get("joins"));
            assertEquals(1L, figures.get("joins_refused_full"));
            assertEquals(1L, figures.get("leaves"));
            assertEquals(0L, h.count("SELECT participant_count FROM events WHERE id = " + event));
        }
    }

    @Test
    void anUnknownSettingRefusesTheStart() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new EventsPlugin()).setting("capacity", "10").start());
        assertTrue(e.getMessage().startsWith("Unknown configuration key HERALD_PLUGINS_EVENTS_CAPACITY"), e.getMessage());
    }

    private static long idOf(Object row) {
        return ((Number) ((Map<?, ?>) row).get("id")).longValue();
    }



    private static void assertRefused(int status, String error, String message, PluginHarness.Call call) {
        assertEquals(PluginHarness.Refusal.of(status, error, message), PluginHarness.refusal(call));
    }
}
