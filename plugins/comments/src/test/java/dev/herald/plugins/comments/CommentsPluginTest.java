package dev.herald.plugins.comments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.testing.PluginHarness;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The comments plugin started as Herald's boot does, its REST API called per caller on a real database. */
class CommentsPluginTest {

    private static PluginHarness start() {
        return PluginHarness.of(new CommentsPlugin()).setting("max-body-length", "20").start();
    }

    private static CommentsApi api(PluginHarness h, String user) {
        return h.rest(PluginHarness.user(user), CommentsApi.class);
    }

    private static Comment created(Response r) {
        assertEquals(201, r.getStatus());
        return (Comment) r.getEntity();
    }

    /** The refusal's status and its error JSON, as the client receives them. */
    private static void assertRefused(int status, String code, String message, Executable call) {
        WebApplicationException e = assertThrows(WebApplicationException.class, call);
        assertEquals(status, e.getResponse().getStatus());
        assertEquals(Map.of("error", code, "message", message), e.getResponse().getEntity());
    }


    @Test
    void aUserCommentsAndRepliesAndReadsTheThreadBack() {
        try (PluginHarness h = start()) {
            CommentsApi alice = api(h, "alice");
            Comment first = created(alice.create("challenge", "42", "{\"body\":\"first!\"}"));
            Comment reply = created(alice.create("challenge", "42", "{\"body\":\"a reply\",\"parent_id\":" + first.id() + "}"));
            created(alice.create("challenge", "43", "{\"body\":\"elsewhere\"}"));

            List<Comment> thread = api(h, "bob").list("challenge", "42", null, null);
            assertEquals(List.of(first.id(), reply.id()), thread.stream().map(Comment::id).toList());
            assertEquals("alice", thread.get(0).author());
            assertEquals("first!", thread.get(0).body());
            assertNull(thread.get(0).parent_id());
            assertEquals(first.id(), thread.get(1).parent_id());
            assertEquals(List.of(reply.id()), alice.list("challenge", "42", String.valueOf(first.id()), null).stream().map(Comment::id).toList());
        }
    }

    @Test
    void onlyTheAuthorEditsOrDeletesAComment() throws SQLException {
        try (PluginHarness h = start()) {
            Comment c = created(api(h, "alice").create("challenge", "42", "{\"body\":\"mine\"}"));
            String id = String.valueOf(c.id());
            String notYours = "only the author of comment " + c.id() + " may change it";
            assertRefused(403, "Forbidden", notYours, () -> api(h, "bob").edit(id, "{\"body\":\"hijacked\"}"));
            assertRefused(403, "Forbidden", notYours, () -> api(h, "bob").delete(id));
            assertEquals(1, h.count("SELECT count(*) FROM comments WHERE body = 'mine' AND edited_at IS NULL AND deleted_at IS NULL"));

            Comment edited = api(h, "alice").edit(id, "{\"body\":\"mine, edited\"}");
            assertEquals("mine, edited", edited.body());
            assertTrue(edited.edited_at() != null);
            assertTrue(api(h, "alice").delete(id).deleted());
            assertRefused(404, "NotFound", "comment " + c.id() + " does not exist or was deleted",
                    () -> api(h, "alice").edit(id, "{\"body\":\"again\"}"));
        }
    }

    @Test
    void aCallerWithoutSubReadsButCannotWrite() throws SQLException {
        try (PluginHarness h = start()) {
            created(api(h, "alice").create("challenge", "42", "{\"body\":\"hello\"}"));
            String noSub = "writing comments needs a signed-in user (the token has no sub)";
            CommentsApi anon = h.rest(PluginHarness.anon(), CommentsApi.class);
            assertRefused(403, "Forbidden", noSub, () -> anon.create("challenge", "42", "{\"body\":\"hi\"}"));
            assertRefused(403, "Forbidden", noSub, () -> h.rest(PluginHarness.serviceRole(), CommentsApi.class).create("challenge", "42", "{\"body\":\"hi\"}"));
            assertEquals(1, anon.list("challenge", "42", null, null).size());
            assertEquals(1, h.count("SELECT count(*) FROM comments"));
        }
    }

    @Test
    void anInvalidCommentIsRefusedAndNothingIsWritten() throws SQLException {
        try (PluginHarness h = start()) {
            CommentsApi alice = api(h, "alice");
            assertRefused(400, "InvalidInput", "body is longer than 20 characters",
                    () -> alice.create("challenge", "42", "{\"body\":\"" + "x".repeat(21) + "\"}"));
            assertRefused(400, "InvalidInput", "body must be a string", () -> alice.create("challenge", "42", "{\"body\":7}"));
            assertRefused(400, "InvalidInput", "item id must be 1 to 128 letters, digits, '_' or '-'",
                    () -> alice.create("challenge", "4:2", "{\"body\":\"ok\"}"));
            assertEquals(0, h.count("SELECT count(*) FROM comments"));
        }
    }

    @Test
    void reactionsAreOnePerUserAndEmojiAndShowInTheThread() throws SQLException {
        try (PluginHarness h = start()) {
            Comment c = created(api(h, "alice").create("challenge", "42", "{\"body\":\"react to me\"}"));
            String id = String.valueOf(c.id());
            assertEquals(Map.of("comment_id", c.id(), "emoji", "👍", "added", true, "count", 1L), api(h, "alice").react(id, "👍"));
            assertEquals(Map.of("comment_id", c.id(), "emoji", "👍", "added", true, "count", 2L), api(h, "bob").react(id, "👍"));
            assertEquals(Map.of("comment_id", c.id(), "emoji", "👍", "added", false, "count", 2L), api(h, "bob").react(id, "👍"));
            api(h, "bob").react(id, "🎉");
            assertEquals(Map.of("👍", 2L, "🎉", 1L), api(h, "carol").list("challenge", "42", null, null).get(0).reactions());

            // Carol removing a reaction she never made changes nothing; Bob removes only his own.
            assertEquals(Map.of("comment_id", c.id(), "emoji", "👍", "removed", false, "count", 2L), api(h, "carol").unreact(id, "👍"));
            assertEquals(Map.of("comment_id", c.id(), "emoji", "👍", "removed", true, "count", 1L), api(h, "bob").unreact(id, "👍"));
            assertEquals(1, h.count("SELECT count(*) FROM comment_reactions WHERE emoji = '👍' AND user_id = 'alice'"));

            assertRefused(400, "InvalidInput", "emoji must be emoji characters only (no letters, digits, spaces or punctuation from ASCII)",
                    () -> api(h, "bob").react(id, "like"));
            assertRefused(403, "Forbidden", "writing comments needs a signed-in user (the token has no sub)",
                    () -> h.rest(PluginHarness.anon(), CommentsApi.class).react(id, "👍"));
            api(h, "alice").delete(id);
            assertRefused(404, "NotFound", "comment " + c.id() + " does not exist or was deleted", () -> api(h, "bob").react(id, "❤️"));
            assertEquals(2, h.count("SELECT count(*) FROM comment_reactions"));
        }
    }

    @Test
    void aBadMaxBodyLengthRefusesTheStart() {
        IllegalStateException zero = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new CommentsPlugin()).setting("max-body-length", "0").start());
        assertTrue(zero.getMessage().startsWith("Plugin 'comments' refused to start: "), zero.getMessage());
        assertTrue(zero.getMessage().endsWith(" must be at least 1"), zero.getMessage());
        IllegalStateException words = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new CommentsPlugin()).setting("max-body-length", "long").start());
        assertTrue(words.getMessage().startsWith("Invalid value for HERALD_PLUGINS_COMMENTS_MAX_BODY_LENGTH: 'long' is not a whole number"), words.getMessage());
    }
}
