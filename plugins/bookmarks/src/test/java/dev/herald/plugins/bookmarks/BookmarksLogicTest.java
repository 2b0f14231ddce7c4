package dev.herald.plugins.bookmarks;

import dev.herald.plugins.support.JsonInput;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import dev.herald.testing.PluginHarness;
import jakarta.ws.rs.WebApplicationException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BookmarksLogicTest {

    private static Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private static void assertRefused(int status, String messagePart, PluginHarness.Call call) {
        PluginHarness.Refusal refusal = PluginHarness.refusal(call);
        assertEquals(status, refusal.status());
        @SuppressWarnings("unchecked") Map<String, Object> entity = (Map<String, Object>) refusal.body();
        assertTrue(String.valueOf(entity.get("message")).contains(messagePart), () -> "message was " + entity);
        assertEquals(status == 400 ? "InvalidInput" : status == 403 ? "Forbidden" : status == 404 ? "NotFound" : "Conflict", entity.get("error"));
    }

    @Test
    void parsesAValidBookmarkAndTrims() {
        BookmarkInput in = BookmarkInput.parse(body("item_type", "idea", "item_id", " idea-7 ", "note", " later "));
        assertEquals(new BookmarkInput("idea", "idea-7", "later"), in);
        assertNull(BookmarkInput.parse(body("item_type", "partner", "item_id", "p1")).note());
    }

    @Test
    void numericItemIdsKeepTheirTextForm() {
        assertEquals("42", BookmarkInput.parse(body("item_type", "challenge", "item_id", 42)).itemId());
    }

    @Test
    void everyItemTypeOfTheIssueIsAccepted() {
        for (String t : List.of("challenge", "idea", "event", "opportunity", "partner")) {
            assertEquals(t, BookmarkInput.parse(body("item_type", t, "item_id", "x")).itemType());
        }
    }

    @Test
    void refusesMissingUnknownAndMalformedFields() {
        assertRefused(400, "JSON object body is required", () -> BookmarkInput.parse(null));
        assertRefused(400, "item_type is required", () -> BookmarkInput.parse(body("item_id", "1")));
        assertRefused(400, "item_type must be one of", () -> BookmarkInput.parse(body("item_type", "video", "item_id", "1")));
        assertRefused(400, "item_id is required", () -> BookmarkInput.parse(body("item_type", "idea")));
        assertRefused(400, "item_id must not be blank", () -> BookmarkInput.parse(body("item_type", "idea", "item_id", "  ")));
        assertRefused(400, "whitespace", () -> BookmarkInput.parse(body("item_type", "idea", "item_id", "a b")));
        assertRefused(400, "at most 128", () -> BookmarkInput.parse(body("item_type", "idea", "item_id", "x".repeat(129))));
        assertRefused(400, "item_id must be a string", () -> BookmarkInput.parse(body("item_type", "idea", "item_id", 1.5)));
        assertRefused(400, "at most 500", () -> BookmarkInput.parse(body("item_type", "idea", "item_id", "1", "note", "n".repeat(501))));
        assertRefused(400, "unknown field(s) [user_id]", () -> BookmarkInput.parse(body("item_type", "idea", "item_id", "1", "user_id", "someone-else")));
    }

    @Test
    void unknownOrImpossibleIdsAre404() {
        assertRefused(404, "no bookmark with id 'abc'", () -> JsonInput.id("abc", "bookmark"));
        assertRefused(404, "no bookmark with id '0'", () -> JsonInput.id("0", "bookmark"));
        assertEquals(12L, JsonInput.id("12", "bookmark"));
    }

    @Test
    void rowPolicyDeliversOnlyTheOwnersRows() {
        RowPolicy policy = new BookmarksPlugin().rowPolicies().get(0);
        assertEquals("bookmarks", policy.table());
        Map<String, Object> row = Map.of("id", 1L, "user_id", "user-a", "item_type", "idea", "item_id", "1");
        assertTrue(policy.allows(Map.of("sub", "user-a"), row));
        assertFalse(policy.allows(Map.of("sub", "user-b"), row));
        Map<String, Object> noSub = new HashMap<>();
        noSub.put("sub", null);
        assertFalse(policy.allows(noSub, row));
    }

    @Test
    void channelPolicyGrantsOnlyReadToSignedInUsers() {
        BookmarksPlugin.OwnTopicPolicy policy = new BookmarksPlugin.OwnTopicPolicy();
        assertEquals("bookmarks:{sub}", policy.topicPattern());
        Principal user = new Principal("authenticated", "user-a", Map.of("sub", "user-a"));
        assertEquals(Decision.ALLOW, policy.decide(ChannelAction.READ, "bookmarks:user-a", user));
        assertEquals(Decision.ABSTAIN, policy.decide(ChannelAction.BROADCAST_WRITE, "bookmarks:user-a", user));
        assertEquals(Decision.ABSTAIN, policy.decide(ChannelAction.PRESENCE_WRITE, "bookmarks:user-a", user));
        assertEquals(Decision.ABSTAIN, policy.decide(ChannelAction.READ, "bookmarks:x", new Principal("anon", null, Map.of())));
    }

    @Test
    void channelCarriesOnlyBookmarksFilteredToTheSubscriber() {
        ChannelSpec spec = new BookmarksPlugin().channels().get(0);
        assertEquals(List.of("public.bookmarks"), spec.tables());
        assertEquals(Map.of("public.bookmarks", "user_id=eq.{sub}"), spec.defaultFilters());
        assertFalse(spec.broadcast());
        assertFalse(spec.presence());
    }

    @Test
    void aCallerWithoutSubIsRefusedBeforeAnyQuery() {
        // Not started: no data source, so any SQL would fail with a NullPointerException instead of the 403.
        BookmarksPlugin plugin = new BookmarksPlugin();
        Principal anon = new Principal("anon", null, Map.of("role", "anon"));
        BookmarksApi api = (BookmarksApi) plugin.restResource(anon);
        String text = "bookmarks belong to a signed-in user (the token has no sub)";
        assertRefused(403, text, () -> api.add(body("item_type", "idea", "item_id", "1")));
        assertRefused(403, text, () -> api.add(null));
        assertRefused(403, text, () -> api.list(null));
        assertRefused(403, text, () -> api.get("1"));
        assertRefused(403, text, () -> api.remove("1"));
        assertRefused(403, text, () -> api.removeItem("idea", "1"));
    }

    @Test
    void stateCountsRequestsAndIsAlwaysOk() {
        BookmarksPlugin plugin = new BookmarksPlugin();
        assertEquals(PluginState.Health.OK, plugin.state().health());
        assertEquals(0L, plugin.state().figures().get("rest_requests"));
        plugin.restResource(new Principal("authenticated", "user-a", Map.of("sub", "user-a")));
        plugin.restResource(new Principal("authenticated", "user-b", Map.of("sub", "user-b")));
        PluginState state = plugin.state();
        assertEquals(List.of("rest_requests", "bookmarks_added", "bookmarks_removed"), List.copyOf(state.figures().keySet()));
        assertEquals(2L, state.figures().get("rest_requests"));
        assertEquals(0L, state.figures().get("bookmarks_added"));
    }

    @Test
    void activityCountsAddedAndRemovedRows() {
        BookmarkActivity activity = new BookmarkActivity();
        activity.added();
        activity.removed(1);
        activity.removed(0);
        activity.removed(1);
        assertEquals(1L, activity.state().figures().get("bookmarks_added"));
        assertEquals(2L, activity.state().figures().get("bookmarks_removed"));
    }

}
