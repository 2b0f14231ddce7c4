package dev.herald.plugins.campaigns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import jakarta.ws.rs.WebApplicationException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorkflowTest {
    private static final Workflow FLOW = new Workflow("campaign_approver");
    private static final Principal OWNER = new Principal("authenticated", "owner", Map.of("sub", "owner"));
    private static final Principal STRANGER = new Principal("authenticated", "stranger", Map.of("sub", "stranger"));
    private static final Principal APPROVER = new Principal("authenticated", "boss",
            Map.of("sub", "boss", "app_metadata", Map.of("roles", List.of("editor", "campaign_approver"))));
    private static final Principal SERVICE = new Principal("service_role", null, Map.of("role", "service_role"));

    private static void assertRefused(int status, String messagePart, Runnable r) {
        WebApplicationException e = assertThrows(WebApplicationException.class, r::run);
        assertEquals(status, e.getResponse().getStatus());
        @SuppressWarnings("unchecked") Map<String, Object> entity = (Map<String, Object>) e.getResponse().getEntity();
        assertTrue(String.valueOf(entity.get("message")).contains(messagePart), () -> "message was " + entity);
    }

    @Test
    void theDocumentedTransitionsAreExactlyTheLegalOnes() {
        Set<String> legal = Set.of("draft>pending_approval", "pending_approval>draft", "pending_approval>approved",
                "pending_approval>rejected", "rejected>draft", "approved>active", "active>paused", "paused>active",
                "active>completed", "paused>completed");
        for (CampaignStatus from : CampaignStatus.values()) {
            for (CampaignStatus to : CampaignStatus.values()) {
                boolean expected = legal.contains(from.wire() + ">" + to.wire());
                assertEquals(expected, from.to(to) != null, from.wire() + " -> " + to.wire());
            }
        }
        assertEquals(List.of(), CampaignStatus.COMPLETED.next());
        assertEquals(List.of("draft", "approved", "rejected"), CampaignStatus.PENDING_APPROVAL.next());
    }

    @Test
    void wireNamesRoundTrip() {
        for (CampaignStatus s : CampaignStatus.values()) assertEquals(s, CampaignStatus.ofWire(s.wire()));
        assertNull(CampaignStatus.ofWire("PENDING_APPROVAL"));
        assertNull(CampaignStatus.ofWire("live"));
        assertEquals(List.of("draft", "pending_approval", "approved", "rejected", "active", "paused", "completed"), CampaignStatus.wireValues());
    }

    @Test
    void onlyDraftAndRejectedAreEditableAndOnlyActiveCollectsMetrics() {
        for (CampaignStatus s : CampaignStatus.values()) {
            assertEquals(EnumSet.of(CampaignStatus.DRAFT, CampaignStatus.REJECTED).contains(s), s.editable(), s.wire());
            assertEquals(s == CampaignStatus.ACTIVE, s.collectsMetrics(), s.wire());
        }
    }

    @Test
    void ownerDrivesTheLifecycleApproverDecides() {
        assertEquals(CampaignStatus.PENDING_APPROVAL, FLOW.check(CampaignStatus.DRAFT, "pending_approval", OWNER, "owner", null).to());
        assertEquals(CampaignStatus.APPROVED, FLOW.check(CampaignStatus.PENDING_APPROVAL, "approved", APPROVER, "owner", null).to());
        assertEquals(CampaignStatus.REJECTED, FLOW.check(CampaignStatus.PENDING_APPROVAL, "rejected", APPROVER, "owner", "too vague").to());
        assertEquals(CampaignStatus.ACTIVE, FLOW.check(CampaignStatus.APPROVED, "active", OWNER, "owner", null).to());
        assertNotNull(FLOW.check(CampaignStatus.PENDING_APPROVAL, "approved", SERVICE, "owner", null));
        assertNotNull(FLOW.check(CampaignStatus.ACTIVE, "paused", SERVICE, "owner", null));
    }

    @Test
    void illegalMovesAre409WithTheAllowedNextStatuses() {
        assertRefused(409, "cannot go from draft to active; from draft it may go to [pending_approval]",
                () -> FLOW.check(CampaignStatus.DRAFT, "active", OWNER, "owner", null));
        assertRefused(409, "completed is final", () -> FLOW.check(CampaignStatus.COMPLETED, "active", OWNER, "owner", null));
        assertRefused(409, "cannot go from draft to draft", () -> FLOW.check(CampaignStatus.DRAFT, "draft", OWNER, "owner", null));
        // An illegal move is 409 even for an approver: the state machine is checked before the actor.
        assertRefused(409, "cannot go from draft to approved", () -> FLOW.check(CampaignStatus.DRAFT, "approved", APPROVER, "owner", null));
    }

    @Test
    void wrongActorsAre403AndBadInputIs400() {
        assertRefused(403, "only an approver", () -> FLOW.check(CampaignStatus.PENDING_APPROVAL, "approved", OWNER, "owner", null));
        assertRefused(403, "only the campaign's creator", () -> FLOW.check(CampaignStatus.DRAFT, "pending_approval", STRANGER, "owner", null));
        assertRefused(403, "only the campaign's creator", () -> FLOW.check(CampaignStatus.APPROVED, "active", APPROVER, "owner", null));
        assertRefused(403, "may not decide on a campaign they created", () -> FLOW.check(CampaignStatus.PENDING_APPROVAL, "approved", APPROVER, "boss", null));
        assertRefused(400, "reason is required", () -> FLOW.check(CampaignStatus.PENDING_APPROVAL, "rejected", APPROVER, "owner", null));
        assertRefused(400, "status must be one of", () -> FLOW.check(CampaignStatus.DRAFT, "launched", OWNER, "owner", null));
    }

    @Test
    void approverComesFromAppMetadataOnly() {
        assertTrue(FLOW.isApprover(new Principal("authenticated", "a", Map.of("app_metadata", Map.of("role", "campaign_approver")))));
        assertTrue(FLOW.isApprover(APPROVER));
        assertTrue(FLOW.isApprover(SERVICE));
        assertFalse(FLOW.isApprover(OWNER));
        // user_metadata is editable by the user, so it never grants anything.
        assertFalse(FLOW.isApprover(new Principal("authenticated", "a", Map.of("user_metadata", Map.of("role", "campaign_approver")))));
        assertFalse(new Workflow("other").isApprover(APPROVER));
    }

    @Test
    void channelPolicyGrantsReadOnly() {
        CampaignsPlugin.CampaignChannelPolicy p = new CampaignsPlugin.CampaignChannelPolicy();
        assertEquals(Decision.ALLOW, p.decide(ChannelAction.READ, "campaign:1", OWNER));
        assertEquals(Decision.ABSTAIN, p.decide(ChannelAction.BROADCAST_WRITE, "campaign:1", OWNER));
        assertEquals(Decision.ABSTAIN, p.decide(ChannelAction.READ, "campaign:1", new Principal("anon", null, Map.of())));
        assertEquals(Map.of("public.campaigns", "id=eq.{id}"), new CampaignsPlugin().channels().get(0).defaultFilters());
    }
}
