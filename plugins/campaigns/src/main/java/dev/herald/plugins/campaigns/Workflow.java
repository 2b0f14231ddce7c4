package dev.herald.plugins.campaigns;

import dev.herald.plugins.support.ApiError;

import dev.herald.api.policy.Principal;
import jakarta.ws.rs.WebApplicationException;
import java.util.List;
import java.util.Map;

/**
 * Who may do what to a campaign: the checks the REST layer runs under the campaign's row lock. Pure; every refusal is
 * the HTTP error the client gets.
 */
final class Workflow {
    private final String approverRole;

    /** @param approverRole the value of {@code app_metadata.role} / an entry of {@code app_metadata.roles} that makes an approver */
    Workflow(String approverRole) {
        this.approverRole = approverRole;
    }

    /**
     * Whether the principal may approve or reject campaigns: the service role, or a token whose {@code app_metadata}
     * (set by the auth server, not editable by users, unlike {@code user_metadata}) names the approver role.
     */
    boolean isApprover(Principal p) {
        if ("service_role".equals(p.role())) return true;
        if (!(p.claims().get("app_metadata") instanceof Map<?, ?> meta)) return false;
        if (approverRole.equals(meta.get("role"))) return true;
        return meta.get("roles") instanceof List<?> roles && roles.contains(approverRole);
    }

    /** Whether the principal acts as the owner: the creator, or the service role. */
    static boolean isOwner(Principal p, String createdBy) {
        return "service_role".equals(p.role()) || (p.subject() != null && p.subject().equals(createdBy));
    }

    /**
     * Checks a status change and returns the legal transition.
     *
     * @param reason the decision note given with the request (required for a rejection)
     * @throws WebApplicationException 400 unknown target or a rejection without reason, 409 illegal move,
     *         403 the caller may not make this move (or would approve its own campaign)
     */
    CampaignStatus.Transition check(CampaignStatus from, String toWire, Principal who, String createdBy, String reason) {
        CampaignStatus to = CampaignStatus.ofWire(toWire);
        if (to == null) throw ApiError.invalid("status must be one of " + CampaignStatus.wireValues());
        CampaignStatus.Transition t = from.to(to);
        if (t == null) {
            List<String> next = from.next();
            throw ApiError.conflict("a campaign cannot go from " + from.wire() + " to " + to.wire()
                    + (next.isEmpty() ? " (" + from.wire() + " is final)" : "; from " + from.wire() + " it may go to " + next));
        }
        if (t.actor() == CampaignStatus.Actor.APPROVER) {
            if (!isApprover(who)) throw ApiError.forbidden("only an approver (app_metadata role '" + approverRole + "') may move a campaign to " + to.wire());
            if (who.subject() != null && who.subject().equals(createdBy)) throw ApiError.forbidden("an approver may not decide on a campaign they created");
            if (to == CampaignStatus.REJECTED && reason == null) throw ApiError.invalid("reason is required when rejecting a campaign");
        } else if (!isOwner(who, createdBy)) {
            throw ApiError.forbidden("only the campaign's creator may move it to " + to.wire());
        }
        return t;
    }
}
