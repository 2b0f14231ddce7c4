package dev.herald.plugins.challenges;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.PluginState;
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

/** The challenges plugin driven through the test kit: real migration, the REST resource per caller, state. */
class ChallengesPluginTest {

    private static String create(PluginHarness h, String owner, String title) throws SQLException {
        Response created = h.rest(PluginHarness.user(owner), ChallengesApi.class).create(Map.of("title", title, "sections", List.of("intro")));
        assertEquals(201, created.getStatus());
        return String.valueOf(((Map<?, ?>) created.getEntity()).get("id"));
    }

    @Test
    void aUserCreatesAChallengeEveryoneReadsItAndOnlyTheCreatorChangesIt() throws Exception {
        try (PluginHarness h = PluginHarness.of(new ChallengesPlugin()).start()) {
            String id = create(h, "alice", "Clean the river");
            ChallengesApi alice = h.rest(PluginHarness.user("alice"), ChallengesApi.class);
            assertEquals("Clean the river", alice.get(id).get("title"));
            assertEquals(1, alice.mine().size());

            ChallengesApi bob = h.rest(PluginHarness.user("bob"), ChallengesApi.class);
            assertEquals(1, bob.list(null).size());
            assertEquals(List.of(), bob.mine());
            assertRefused(403, "Forbidden", "challenge " + id + " belongs to another user", () -> bob.update(id, Map.of("status", "closed")));
            assertRefused(403, "Forbidden", "challenge " + id + " belongs to another user", () -> bob.delete(id));
            assertEquals("open", alice.get(id).get("status"));
        }
    }

    @Test
    void aSubmissionNotifiesTheCreatorAndAReviewNotifiesTheSubmitter() throws Exception {
        try (PluginHarness h = PluginHarness.of(new ChallengesPlugin()).start()) {
            String id = create(h, "alice", "River");
            ChallengesApi bob = h.rest(PluginHarness.user("bob"), ChallengesApi.class);
            Response submitted = bob.submit(id, Map.of("content", "my plan"));
            assertEquals(201, submitted.getStatus());
            String submission = String.valueOf(((Map<?, ?>) submitted.getEntity()).get("id"));

            ChallengesApi alice = h.rest(PluginHarness.user("alice"), ChallengesApi.class);
            List<Map<String, Object>> received = alice.notifications("true");
            assertEquals(1, received.size());
            assertEquals("submission_received", received.get(0).get("kind"));
            assertEquals("bob submitted to \"River\"", received.get(0).get("message"));
            assertEquals(List.of(), bob.notifications(null), "a notification reaches only its recipient");
            String notification = String.valueOf(received.get(0).get("id"));
            assertRefused(403, "Forbidden", "notification " + notification + " belongs to another user", () -> bob.markRead(notification));

            assertRefused(403, "Forbidden", "only the challenge's creator may review its submissions", () -> bob.review(submission, Map.of("status", "accepted")));
            assertEquals("accepted", alice.review(submission, Map.of("status", "accepted")).get("status"));
            assertRefused(409, "Conflict", "the submission was already accepted; a review is final", () -> alice.review(submission, Map.of("status", "rejected")));
            assertEquals("Your submission to \"River\" was accepted", bob.notifications(null).get(0).get("message"));
        }
    }

    @Test
    void aClosedChallengeRefusesSubmissionsAndInvalidInputWritesNothing() throws Exception {
        try (PluginHarness h = PluginHarness.of(new ChallengesPlugin()).start()) {
            String id = create(h, "alice", "River");
            ChallengesApi bob = h.rest(PluginHarness.user("bob"), ChallengesApi.class);
            assertRefused(400, "InvalidInput", "content must not be blank", () -> bob.submit(id, Map.of("content", " ")));
            assertRefused(400, "InvalidInput", "status must be one of [open, closed]", () -> bob.list("finished"));

            h.rest(PluginHarness.user("alice"), ChallengesApi.class).update(id, Map.of("status", "closed"));
            assertRefused(409, "Conflict", "challenge " + id + " is closed for submissions", () -> bob.submit(id, Map.of("content", "late")));
            assertEquals(0L, h.count("SELECT count(*) FROM challenge_submissions"));
            assertEquals(0L, h.count("SELECT count(*) FROM challenge_notifications"));
        }
    }

    @Test
    void aCallerWithoutSubIsRefused() {
        try (PluginHarness h = PluginHarness.of(new ChallengesPlugin()).start()) {
            String text = "this needs a signed-in user (the token has no sub)";
            ChallengesApi anon = h.rest(PluginHarness.anon(), ChallengesApi.class);
            assertRefused(403, "Forbidden", text, () -> anon.create(Map.of("title", "t")));
            assertRefused(403, "Forbidden", text, anon::mine);
            assertRefused(403, "Forbidden", text, () -> anon.notifications(null));
            assertRefused(403, "Forbidden", text, () -> h.rest(PluginHarness.serviceRole(), ChallengesApi.class).submit("1", Map.of("content", "x")));
        }
    }

    @Test
    void stateCountsRequestsCreationsSubmissionsReviewsAndNotifications() throws Exception {
        try (PluginHarness h = PluginHarness.of(new ChallengesPlugin()).start()) {
            assertEquals(PluginState.Health.OK, h.state().health());
            assertEquals(List.of("rest_requests", "challenges_created", "submissions", "reviews", "notifications_sent"),
                    List.copyOf(h.state().figures().keySet()));
            String id = create(h, "alice", "River");
            ChallengesApi alice = h.rest(PluginHarness.user("alice"), ChallengesApi.class);
            alice.submit(id, Map.of("content", "own entry")); // the creator's own submission notifies nobody
            String submission = String.valueOf(((Map<?, ?>) h.rest(PluginHarness.user("bob"), ChallengesApi.class)
                    .submit(id, Map.of("content", "plan")).getEntity()).get("id"));
            alice.review(submission, Map.of("status", "rejected"));

            Map<String, Object> figures = h.state().figures();
            assertEquals(3L, figures.get("rest_requests"));
            assertEquals(1L, figures.get("challenges_created"));
            assertEquals(2L, figures.get("submissions"));
            assertEquals(1L, figures.get("reviews"));
            assertEquals(2L, figures.get("notifications_sent"));
            assertEquals(2L, h.count("SELECT count(*) FROM challenge_notifications"));
        }
    }

    @Test
    void anUnknownSettingRefusesTheStart() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new ChallengesPlugin()).setting("max-submissions", "3").start());
        assertTrue(e.getMessage().startsWith("Unknown configuration key HERALD_PLUGINS_CHALLENGES_MAX_SUBMISSIONS"), e.getMessage());
    }



    private static void assertRefused(int status, String error, String message, PluginHarness.Call call) {
        assertEquals(PluginHarness.Refusal.of(status, error, message), PluginHarness.refusal(call));
    }
}
