package dev.herald.plugins.notes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.RowChange;
import dev.herald.api.plugin.SocketEndpoint;
import dev.herald.api.policy.Principal;
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

/** The example plugin driven through the test kit: its settings, its table over JPA, its hook, state and socket. */
class NotesPluginTest {
    private static final Principal ALICE = PluginHarness.user("alice");
    private static final Principal BOB = PluginHarness.user("bob");

    private static PluginHarness start() {
        return PluginHarness.of(new NotesPlugin()).setting("max-body-length", "10").setting("greeting", "hi").start();
    }

    @Test
    void whoamiAnswersTheVerifiedCallerAsBefore() {
        try (PluginHarness h = start()) {
            assertEquals(Map.of("role", "authenticated", "sub", "alice"), h.rest(ALICE, NotesApi.class).whoami());
            assertEquals(Map.of("role", "anon", "sub", ""), h.rest(PluginHarness.anon(), NotesApi.class).whoami());
        }
    }

    @Test
    void aNoteIsStoredOverJpaAndOnlyItsOwnerReadsItBack() throws Exception {
        try (PluginHarness h = start()) {
            NotesApi alice = h.rest(ALICE, NotesApi.class);
            Response created = alice.create(new NotesApi.NewNote("42", "hello"));
            assertEquals(201, created.getStatus());
            Note.View note = (Note.View) created.getEntity();
            assertEquals(new Note.View(note.id(), "alice", "42", "hello"), note);
            alice.create(new NotesApi.NewNote("7", "other"));

            assertEquals(List.of(note), alice.mine("42"));
            assertEquals(2, alice.mine(null).size());
            assertEquals(List.of(), h.rest(BOB, NotesApi.class).mine(null), "bob sees none of alice's notes");
            try (Connection c = h.dataSource().getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT owner, topic, body FROM notes WHERE id = " + note.id())) {
                assertTrue(rs.next());
                assertEquals(List.of("alice", "42", "hello"), List.of(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
            assertEquals(2L, h.state().figures().get("notes_created"));
        }
    }

    @Test
    void notesNeedASignedInCallerAndInvalidInputWritesNothing() throws Exception {
        try (PluginHarness h = start()) {
            NotesApi anon = h.rest(PluginHarness.anon(), NotesApi.class);
            NotesApi alice = h.rest(ALICE, NotesApi.class);
            String noSub = "notes belong to a signed-in user (the token has no sub)";
            assertRefused(403, "Forbidden", noSub, () -> anon.create(new NotesApi.NewNote("t", "b")));
            assertRefused(403, "Forbidden", noSub, () -> anon.mine(null));
            assertRefused(403, "Forbidden", noSub, () -> h.rest(PluginHarness.serviceRole(), NotesApi.class).create(new NotesApi.NewNote("t", "b")));
            assertRefused(400, "InvalidInput", "topic and body are required", () -> alice.create(new NotesApi.NewNote("t", " ")));
            assertRefused(400, "InvalidInput", "topic must be at most 200 characters without ':'", () -> alice.create(new NotesApi.NewNote("a:b", "b")));
            assertRefused(400, "InvalidInput", "body is longer than 10 characters", () -> alice.create(new NotesApi.NewNote("t", "x".repeat(11))));
            try (Connection c = h.dataSource().getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM notes")) {
                rs.next();
                assertEquals(0L, rs.getLong(1));
            }
            assertEquals(0L, h.state().figures().get("notes_created"), "a note that was not stored is not counted");
        }
    }

    @Test
    void theHookCountsPerTopicBroadcastsAndFeedsTheCountsEndpointAndTheState() throws SQLException {
        try (PluginHarness h = start()) {
            Note.View stored = (Note.View) h.rest(ALICE, NotesApi.class).create(new NotesApi.NewNote("42", "b")).getEntity();
            h.change(insert(stored.id(), "42"));
            h.change(insert(stored.id() + 1, "42"));
            h.change(new RowChange("public", "notes", RowChange.Type.UPDATE, row(stored.id(), "42"), row(stored.id(), "42"), Instant.now()));
            h.change(insert(stored.id() + 2, "7"));

            List<RecordedBroadcast> sent = h.broadcasts();
            assertEquals(List.of("notes:42", "notes:42", "notes:7"), sent.stream().map(RecordedBroadcast::topic).toList());
            assertTrue(sent.stream().allMatch(b -> b.event().equals("note_count") && !b.privateChannel()), sent::toString);
            assertEquals(List.of(List.of("42", 1L), List.of("42", 2L), List.of("7", 1L)), sent.stream().map(NotesPluginTest::topicAndCount).toList());
            NotesApi anon = h.rest(PluginHarness.anon(), NotesApi.class);
            assertEquals(Map.of("topic", "42", "count", 2L), anon.count("42"));
            assertEquals(Map.of("topic", "none", "count", 0L), anon.count("none"));

            PluginState state = h.state();
            assertEquals(PluginState.Health.OK, state.health());
            assertEquals(List.of("notes_created", "note_count_broadcasts"), List.copyOf(state.figures().keySet()));
            assertEquals(1L, state.figures().get("notes_created"));
            assertEquals(3L, state.figures().get("note_count_broadcasts"));
        }
    }

    @Test
    void viewersAreThePresenceOfTheTopicsPublicChannel() {
        try (PluginHarness h = start()) {
            h.presence("notes:42", false, Map.of("k1", List.of(Map.of("section", "intro")), "k2", List.of(Map.of("section", "end"))));
            Map<String, Object> viewers = h.rest(ALICE, NotesApi.class).viewers("42");
            assertEquals(2, viewers.get("viewers"));
            assertEquals(List.of("end", "intro"), ((List<?>) viewers.get("sections")).stream().map(String::valueOf).sorted().toList());
            assertEquals(Map.of("topic", "7", "viewers", 0, "sections", List.of()), h.rest(ALICE, NotesApi.class).viewers("7"));
        }
    }

    @Test
    void settingsReachThePluginAndItsEchoSocket() {
        try (PluginHarness h = start()) {
            assertEquals(10L, h.context().config().integer("max-body-length"));
            assertEquals("hi", h.context().config().string("greeting"));
            List<SocketEndpoint> sockets = h.sockets();
            assertEquals(List.of("echo"), sockets.stream().map(SocketEndpoint::path).toList());
            assertEquals(List.of("notes.v1"), sockets.get(0).subprotocols());
        }
        try (PluginHarness h = PluginHarness.of(new NotesPlugin()).start()) {
            assertEquals(2000L, h.context().config().integer("max-body-length"), "the default");
        }
    }

    @Test
    void aBadSettingRefusesTheStartWithTheBootsMessage() {
        IllegalStateException notANumber = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new NotesPlugin()).setting("max-body-length", "long").start());
        assertEquals("Invalid value for HERALD_PLUGINS_NOTES_MAX_BODY_LENGTH: 'long' is not a whole number (Longest note body accepted, in characters)",
                notANumber.getMessage());
        IllegalStateException tooSmall = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new NotesPlugin()).setting("max-body-length", "0").start());
        assertEquals("Plugin 'notes' refused to start: HERALD_PLUGINS_NOTES_MAX_BODY_LENGTH (herald.plugins.notes.max-body-length) must be at least 1",
                tooSmall.getMessage());
    }

    private static List<Object> topicAndCount(RecordedBroadcast b) {
        Map<?, ?> payload = (Map<?, ?>) b.payload();
        assertEquals(2, payload.size(), b.json());
        return List.of(payload.get("topic"), ((Number) payload.get("count")).longValue());
    }

    private static Map<String, Object> row(long id, String topic) {
        return Map.of("id", id, "owner", "alice", "topic", topic, "body", "b");
    }

    private static RowChange insert(long id, String topic) {
        return new RowChange("public", "notes", RowChange.Type.INSERT, row(id, topic), Map.of(), Instant.now());
    }


    private static void assertRefused(int status, String code, String message, PluginHarness.Call call) {
        assertEquals(PluginHarness.Refusal.of(status, code, message), PluginHarness.refusal(call));
    }
}
