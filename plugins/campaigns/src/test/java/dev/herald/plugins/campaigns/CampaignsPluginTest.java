package dev.herald.plugins.campaigns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.PluginState;
import dev.herald.api.policy.Principal;
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

/** The campaigns plugin driven through the test kit: its setting, its JPA entity over the real table, the workflow, state. */
class CampaignsPluginTest {
    private static final Principal ALICE = PluginHarness.user("alice");
    private static final Principal BOB = PluginHarness.user("bob");
    private static final Principal APPROVER = new Principal("authenticated", "carol",
            Map.of("role", "authenticated", "sub", "carol", "app_metadata", Map.of("role", "boss")));

    private static PluginHarness start() {
        return PluginHarness.of(new CampaignsPlugin()).setting("approver-role", " boss ").start();
    }

    private static String create(PluginHarness h, String name) {
        Response created = h.rest(ALICE, CampaignsApi.class).create(Map.of("name", name, "budget", 100));
        assertEquals(201, created.getStatus());
        return String.valueOf(((Map<?, ?>) created.getEntity()).get("id"));
    }

    @Test
    void aCampaignIsStoredOverJpaReadBackAndChangedOnlyByItsCreator() throws Exception {
        try (PluginHarness h = start()) {
            String id = create(h, "Spring");
            CampaignsApi alice = h.rest(ALICE, CampaignsApi.class);
            assertEquals("Spring", alice.get(id).get("name"));
            assertEquals("draft", alice.get(id).get("status"));
            assertEquals(1, alice.mine().size());
            assertEquals("Spring sale", alice.update(id, Map.of("name", "Spring sale")).get("name"));

            CampaignsApi bob = h.rest(BOB, CampaignsApi.class);
            assertEquals(1, bob.list(null).size(), "signed-in users see every campaign");
            assertEquals(List.of(), bob.mine());
            assertRefused(403, "Forbidden", "campaign " + id + " belongs to another user", () -> bob.update(id, Map.of("name", "Mine")));
            assertRefused(403, "Forbidden", "campaign " + id + " belongs to another user", () -> bob.delete(id));
            assertEquals("Spring sale", text(h, "SELECT name FROM campaigns WHERE id = " + id));
        }
    }

    @Test
    void theApprovalWorkflowRunsOnTheRealTable() throws Exception {
        try (PluginHarness h = start()) {
            String id = create(h, "Spring");
            CampaignsApi alice = h.rest(ALICE, CampaignsApi.class);
            alice.transition(id, Map.of("status", "pending_approval"));
            assertRefused(403, "Forbidden", "only an approver (app_metadata role 'boss') may move a campaign to approved",
                    () -> h.rest(BOB, CampaignsApi.class).transition(id, Map.of("status", "approved")));
            assertRefused(403, "Forbidden", "only an approver (app_metadata role 'boss') may move a campaign to approved",
                    () -> alice.transition(id, Map.of("status", "approved")));
            Map<String, Object> approved = h.rest(APPROVER, CampaignsApi.class).transition(id, Map.of("status", "approved", "reason", "fine"));
            assertEquals("approved", approved.get("status"));
            assertEquals("carol", text(h, "SELECT decided_by FROM campaigns WHERE id = " + id));

            assertRefused(409, "Conflict", "metrics are recorded only while a campaign is active, not approved",
                    () -> alice.metrics(id, Map.of("clicks", 3)));
            alice.transition(id, Map.of("status", "active"));
            assertEquals(3L, ((Number) alice.metrics(id, Map.of("clicks", 3)).get("clicks")).longValue());
            assertRefused(409, "Conflict", "a campaign can only be edited in draft or rejected, not active", () -> alice.update(id, Map.of("name", "x")));
        }
    }

    @Test
    void anInvalidCampaignIsRefusedWithA400AndNothingIsWritten() throws Exception {
        try (PluginHarness h = start()) {
            CampaignsApi alice = h.rest(ALICE, CampaignsApi.class);
            assertRefused(400, "InvalidInput", "name is required", () -> alice.create(Map.of("budget", 5)));
            assertRefused(400, "InvalidInput", "status must be one of " + CampaignStatus.wireValues(), () -> alice.list("running"));
            assertEquals("0", text(h, "SELECT count(*) FROM campaigns"));
        }
    }

    @Test
    void callersWithoutSubAreRefusedWithTheFormerTexts() {
        try (PluginHarness h = start()) {
            CampaignsApi anon = h.rest(PluginHarness.anon(), CampaignsApi.class);
            String created = "campaigns are created by a signed-in user (the token has no sub)";
            assertRefused(403, "Forbidden", created, () -> anon.create(Map.of("name", "n")));
            assertRefused(403, "Forbidden", created, anon::mine);
            String signedIn = "this needs a signed-in user (the token has no sub)";
            assertRefused(403, "Forbidden", signedIn, () -> anon.update("1", Map.of("name", "n")));
            assertRefused(403, "Forbidden", signedIn, () -> anon.delete("1"));
            // The service role has no sub either: it may not create, but acts as every campaign's owner elsewhere.
            CampaignsApi service = h.rest(PluginHarness.serviceRole(), CampaignsApi.class);
            assertRefused(403, "Forbidden", created, () -> service.create(Map.of("name", "n")));
            assertRefused(404, "NotFound", "no campaign with id 1", () -> service.delete("1"));
        }
    }

    @Test
    void stateNamesTheApproverRoleAndCountsWhatWasDone() {
        try (PluginHarness h = start()) {
            PluginState state = h.state();
            assertEquals(PluginState.Health.OK, state.health());
            assertTrue(state.summary().contains("'boss'"), state.summary());
            assertEquals(List.of("rest_requests", "campaigns_created", "status_changes", "decisions", "metric_updates"),
                    List.copyOf(state.figures().keySet()));
            String id = create(h, "Spring");
            h.rest(ALICE, CampaignsApi.class).transition(id, Map.of("status", "pending_approval"));
            h.rest(APPROVER, CampaignsApi.class).transition(id, Map.of("status", "rejected", "reason", "too vague"));
            Map<String, Object> figures = h.state().figures();
            assertEquals(3L, figures.get("rest_requests"));
            assertEquals(1L, figures.get("campaigns_created"));
            assertEquals(2L, figures.get("status_changes"));
            assertEquals(1L, figures.get("decisions"));
            assertEquals(0L, figures.get("metric_updates"));
        }
    }

    @Test
    void aBlankApproverRoleFallsBackToTheDefaultAndAnUnknownSettingRefusesTheStart() {
        // Herald's settings treat a blank value as unset, so the plugin's own blank check is a last line only.
        try (PluginHarness h = PluginHarness.of(new CampaignsPlugin()).setting("approver-role", " ").start()) {
            assertTrue(h.state().summary().contains("'campaign_approver'"), h.state().summary());
        }
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new CampaignsPlugin()).setting("approver", "boss").start());
        assertTrue(e.getMessage().startsWith("Unknown configuration key HERALD_PLUGINS_CAMPAIGNS_APPROVER"), e.getMessage());
    }

    private static String text(PluginHarness h, String sql) throws SQLException {
        try (Connection c = h.dataSource().getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next());
            return rs.getString(1);
        }
    }


    private static void assertRefused(int status, String error, String message, PluginHarness.Call call) {
        assertEquals(PluginHarness.Refusal.of(status, error, message), PluginHarness.refusal(call));
    }
}
