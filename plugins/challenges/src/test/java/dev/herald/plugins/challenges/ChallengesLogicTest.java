package dev.herald.plugins.challenges;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
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

class ChallengesLogicTest {

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
    }

    @Test
    void createValidatesTitleAndSections() {
        ChallengeInput in = ChallengeInput.forCreate(body("title", "Build a bridge", "sections", List.of("intro", "rules")));
        assertEquals("Build a bridge", in.title());
        assertEquals(List.of("intro", "rules"), in.sections());
        assertNull(ChallengeInput.forCreate(body("title", "t")).sections());
        assertRefused(400, "title is required", () -> ChallengeInput.forCreate(body("description", "no title")));
        assertRefused(400, "title must be a string", () -> ChallengeInput.forCreate(body("title", 5)));
        assertRefused(400, "duplicate item 'intro'", () -> ChallengeInput.forCreate(body("title", "t", "sections", List.of("intro", "intro"))));
        assertRefused(400, "sections must be an array", () -> ChallengeInput.forCreate(body("title", "t", "sections", "intro")));
        assertRefused(400, "unknown field(s) [status]", () -> ChallengeInput.forCreate(body("title", "t", "status", "closed")));
        assertRefused(400, "unknown field(s) [created_by]", () -> ChallengeInput.forCreate(body("title", "t", "created_by", "someone")));
    }

    @Test
    void updateNeedsAFieldAndAKnownStatus() {
        assertRefused(400, "nothing to change", () -> ChallengeInput.forUpdate(body()));
        assertRefused(400, "status must be one of [open, closed]", () -> ChallengeInput.forUpdate(body("status", "archived")));
        assertEquals("closed", ChallengeInput.forUpdate(body("status", "closed")).status());
    }

    @Test
    void submissionsNeedContent() {
        assertEquals("my answer", ChallengeInput.submission(body("content", " my answer ")));
        assertRefused(400, "content is required", () -> ChallengeInput.submission(body()));
        assertRefused(400, "JSON object body is required", () -> ChallengeInput.submission(null));
        assertRefused(400, "at most 20000", () -> ChallengeInput.submission(body("content", "x".repeat(20001))));
    }

    @Test
    void reviewsAreTheOwnersAndFinal() {
        assertEquals("accepted", Review.decision(body("status", "accepted")));
        assertRefused(400, "status must be one of [accepted, rejected]", () -> Review.decision(body("status", "submitted")));
        assertDoesNotThrow(() -> Review.check("submitted", "owner", "owner", "open"));
        assertRefused(403, "only the challenge's creator", () -> Review.check("submitted", "other", "owner", "open"));
        assertRefused(409, "already accepted", () -> Review.check("accepted", "owner", "owner", "open"));
        assertRefused(409, "already rejected", () -> Review.check("rejected", "owner", "owner", "open"));
        assertRefused(409, "closed", () -> Review.check("submitted", "owner", "owner", "closed"));
    }

    @Test
    void notificationsReachOnlyTheirRecipient() {
        RowPolicy policy = new ChallengesPlugin().rowPolicies().get(0);
        assertEquals("challenge_notifications", policy.table());
        Map<String, Object> row = Map.of("id", 1L, "user_id", "owner", "challenge_id", 3L);
        assertTrue(policy.allows(Map.of("sub", "owner"), row));
        assertFalse(policy.allows(Map.of("sub", "submitter"), row));
        assertFalse(policy.allows(Map.of("sub", "owner"), Map.of("id", 1L)));
    }

    @Test
    void channelsAndPolicies() {
        List<ChannelSpec> specs = new ChallengesPlugin().channels();
        ChannelSpec collab = specs.get(0);
        assertEquals("challenge:{id}", collab.topicPattern());
        assertTrue(collab.presence());
        assertTrue(collab.broadcast());
        assertEquals("challenge_id=eq.{id}", collab.defaultFilters().get("public.challenge_submissions"));
        ChannelSpec mine = specs.get(1);
        assertEquals("challenge-notifications:{sub}", mine.topicPattern());
        assertEquals("user_id=eq.{sub}", mine.defaultFilters().get("public.challenge_notifications"));

        Principal user = new Principal("authenticated", "u", Map.of("sub", "u"));
        Principal anon = new Principal("anon", null, Map.of());
        ChallengesPlugin.CollaborationPolicy collabPolicy = new ChallengesPlugin.CollaborationPolicy();
        for (ChannelAction a : ChannelAction.values()) {
            assertEquals(Decision.ALLOW, collabPolicy.decide(a, "challenge:1", user));
            assertEquals(Decision.ABSTAIN, collabPolicy.decide(a, "challenge:1", anon));
        }
        ChallengesPlugin.OwnNotificationsPolicy own = new ChallengesPlugin.OwnNotificationsPolicy();
        assertEquals(Decision.ALLOW, own.decide(ChannelAction.READ, "challenge-notifications:u", user));
        assertEquals(Decision.ABSTAIN, own.decide(ChannelAction.BROADCAST_WRITE, "challenge-notifications:u", user));
    }

    @Test
    void notificationTexts() {
        assertEquals("bob submitted to \"Bridge\"", Review.receivedMessage("bob", "Bridge"));
        assertEquals("Your submission to \"Bridge\" was accepted", Review.reviewedMessage("accepted", "Bridge"));
    }

    @Test
    void aCallerWithoutSubIsRefusedBeforeAnyQuery() {
        // Not started: no data source, so any SQL would fail with a NullPointerException instead of the 403.
        ChallengesApi api = (ChallengesApi) new ChallengesPlugin().restResource(new Principal("anon", null, Map.of("role", "anon")));
        String text = "this needs a signed-in user (the token has no sub)";
        assertRefused(403, text, () -> api.create(body("title", "t")));
        assertRefused(403, text, api::mine);
        assertRefused(403, text, () -> api.update("1", body("title", "t")));
        assertRefused(403, text, () -> api.delete("1"));
        assertRefused(403, text, () -> api.submit("1", body("content", "c")));
        assertRefused(403, text, () -> api.review("1", body("status", "accepted")));
        assertRefused(403, text, () -> api.notifications(null));
        assertRefused(403, text, () -> api.markRead("1"));
    }

    @Test
    void stateCountsRequestsSubmissionsReviewsAndNotifications() {
        ChallengesPlugin plugin = new ChallengesPlugin();
        plugin.restResource(new Principal("authenticated", "user-a", Map.of("sub", "user-a")));
        PluginState state = plugin.state();
        assertEquals(PluginState.Health.OK, state.health());
        assertEquals(List.of("rest_requests", "challenges_created", "submissions", "reviews", "notifications_sent"),
                List.copyOf(state.figures().keySet()));
        assertEquals(1L, state.figures().get("rest_requests"));

        ChallengeActivity activity = new ChallengeActivity();
        activity.created();
        activity.submitted(1);
        activity.submitted(0); // a creator submitting to their own challenge notifies nobody
        activity.reviewed(1);
        Map<String, Object> f = activity.state().figures();
        assertEquals(1L, f.get("challenges_created"));
        assertEquals(2L, f.get("submissions"));
        assertEquals(1L, f.get("reviews"));
        assertEquals(2L, f.get("notifications_sent"));
    }

}
