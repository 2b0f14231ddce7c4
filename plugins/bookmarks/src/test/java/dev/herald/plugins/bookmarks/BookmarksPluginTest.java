package dev.herald.plugins.bookmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.PluginState;
import dev.herald.testing.PluginHarness;
import jakarta.ws.rs.WebApplicationException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bookmarks plugin driven through the test kit: real migration, the REST resource per caller, state. */
class BookmarksPluginTest {

    @Test
    void aUserAddsABookmarkIdempotentlyAndReadsItBack() throws Exception {
        try (PluginHarness h = PluginHarness.of(new BookmarksPlugin()).start()) {
            BookmarksApi alice = h.rest(PluginHarness.user("alice"), BookmarksApi.class);
            Map<String, Object> added = alice.add(Map.of("item_type", "challenge", "item_id", 42, "note", "later"));
            assertEquals("alice", added.get("user_id"));
            assertEquals("42", added.get("item_id"));
            assertEquals(added, alice.add(Map.of("item_type", "challenge", "item_id", "42")), "adding again answers the same row");
            alice.add(Map.of("item_type", "idea", "item_id", "7"));

            assertEquals(2, alice.list(null).size());
            assertEquals(List.of(added), alice.list("challenge"));
            assertEquals(added, alice.get(String.valueOf(added.get("id"))));
            assertEquals(2L, h.count("SELECT count(*) FROM bookmarks WHERE user_id = 'alice'"));
        }
    }

    @Test
    void anotherUserNeitherSeesNorRemovesTheBookmark() throws Exception {
        try (PluginHarness h = PluginHarness.of(new BookmarksPlugin()).start()) {
            String id = String.valueOf(h.rest(PluginHarness.user("alice"), BookmarksApi.class).add(Map.of("item_type", "event", "item_id", "e1")).get("id"));
            BookmarksApi bob = h.rest(PluginHarness.user("bob"), BookmarksApi.class);
            assertEquals(List.of(), bob.list(null));
            assertRefused(403, "Forbidden", "bookmark " + id + " belongs to another user", () -> bob.get(id));
            assertRefused(403, "Forbidden", "bookmark " + id + " belongs to another user", () -> bob.remove(id));
            assertEquals(204, bob.removeItem("event", "e1").getStatus(), "removing by item only touches the caller's own");
            assertEquals(1L, h.count("SELECT count(*) FROM bookmarks"));

            assertEquals(204, h.rest(PluginHarness.user("alice"), BookmarksApi.class).remove(id).getStatus());
            assertEquals(0L, h.count("SELECT count(*) FROM bookmarks"));
            assertRefused(404, "NotFound", "no bookmark with id " + id, () -> bob.remove(id));
        }
    }

    @Test
    void aCallerWithoutSubIsRefused() {
        try (PluginHarness h = PluginHarness.of(new BookmarksPlugin()).start()) {
            String text = "bookmarks belong to a signed-in user (the token has no sub)";
            BookmarksApi anon = h.rest(PluginHarness.anon(), BookmarksApi.class);
            assertRefused(403, "Forbidden", text, () -> anon.add(Map.of("item_type", "idea", "item_id", "1")));
            assertRefused(403, "Forbidden", text, () -> anon.list(null));
            assertRefused(403, "Forbidden", text, () -> h.rest(PluginHarness.serviceRole(), BookmarksApi.class).remove("1"));
        }
    }

    @Test
    void anInvalidBookmarkIsRefusedWithA400AndNothingIsWritten() throws Exception {
        try (PluginHarness h = PluginHarness.of(new BookmarksPlugin()).start()) {
            BookmarksApi alice = h.rest(PluginHarness.user("alice"), BookmarksApi.class);
            assertRefused(400, "InvalidInput", "item_id must not contain whitespace or control characters",
                    () -> alice.add(Map.of("item_type", "idea", "item_id", "a b")));
            assertEquals(0L, h.count("SELECT count(*) FROM bookmarks"));
        }
    }

    @Test
    void stateCountsRequestsAddsAndRemovals() throws Exception {
        try (PluginHarness h = PluginHarness.of(new BookmarksPlugin()).start()) {
            assertEquals(PluginState.Health.OK, h.state().health());
            assertEquals(List.of("rest_requests", "bookmarks_added", "bookmarks_removed"), List.copyOf(h.state().figures().keySet()));
            BookmarksApi alice = h.rest(PluginHarness.user("alice"), BookmarksApi.class);
            alice.add(Map.of("item_type", "partner", "item_id", "p1"));
            alice.add(Map.of("item_type", "partner", "item_id", "p1"));
            alice.removeItem("partner", "p1");
            Map<String, Object> figures = h.state().figures();
            assertEquals(1L, figures.get("rest_requests"), "one resource served the three calls");
            assertEquals(1L, figures.get("bookmarks_added"), "the idempotent repeat is not counted");
            assertEquals(1L, figures.get("bookmarks_removed"));
        }
    }

    @Test
    void anUnknownSettingRefusesTheStart() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new BookmarksPlugin()).setting("limit", "10").start());
        assertTrue(e.getMessage().startsWith("Unknown configuration key HERALD_PLUGINS_BOOKMARKS_LIMIT"), e.getMessage());
    }



    private static void assertRefused(int status, String error, String message, PluginHarness.Call call) {
        assertEquals(PluginHarness.Refusal.of(status, error, message), PluginHarness.refusal(call));
    }
}
