package dev.herald.plugins.campaigns;

import dev.herald.plugins.support.JsonInput;
import dev.herald.plugins.support.ApiError;

import dev.herald.api.policy.Principal;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.LockModeType;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The REST API at {@code /plugins/campaigns}, over Hibernate. Every change loads the campaign with a pessimistic write
 * lock ({@code SELECT ... FOR UPDATE}), so two concurrent transitions of one campaign cannot both pass the state check.
 *
 * <p>One instance serves one request: Herald creates it per request with the verified caller
 * ({@link CampaignsPlugin#restResource}). The entity manager factory (built on its first use), the workflow and the
 * activity counters it shares with every other request are thread-safe; each call uses its own entity manager.
 */
@Produces(MediaType.APPLICATION_JSON)
public final class CampaignsApi {
    private static final BigDecimal MAX_BUDGET = new BigDecimal("1000000000000");
    private static final long MAX_METRIC_STEP = 1_000_000_000L;

    private final Supplier<EntityManagerFactory> entityManagerFactory;
    private final Workflow workflow;
    private final CampaignActivity activity;
    private final Principal caller;

    CampaignsApi(Supplier<EntityManagerFactory> entityManagerFactory, Workflow workflow, CampaignActivity activity, Principal caller) {
        this.entityManagerFactory = entityManagerFactory;
        this.workflow = workflow;
        this.activity = activity;
        this.caller = caller;
    }

    /** Creates a draft campaign owned by the caller: 201. */
    @POST
    @Path("campaigns")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(Map<String, Object> body) {
        String user = subject();
        JsonInput in = JsonInput.of(body, Set.of("name", "description", "budget"));
        Campaign c = new Campaign(user, in.requiredText("name", 200), in.optionalText("description", 4000),
                in.optionalAmount("budget", 2, MAX_BUDGET));
        Map<String, Object> view = inTransaction(em -> {
            em.persist(c);
            em.flush();
            em.refresh(c); // created_at comes from the column default
            return c.view();
        });
        activity.created();
        return Response.status(201).entity(view).build();
    }

    /** Every campaign (signed-in users see all campaigns), optionally of one status, newest first. */
    @GET
    @Path("campaigns")
    public List<Map<String, Object>> list(@QueryParam("status") String status) {
        if (status != null && CampaignStatus.ofWire(status) == null) throw ApiError.invalid("status must be one of " + CampaignStatus.wireValues());
        return read(em -> {
            var q = em.createQuery("select c from Campaign c" + (status == null ? "" : " where c.status = :s") + " order by c.id desc", Campaign.class);
            if (status != null) q.setParameter("s", status);
            return q.setMaxResults(500).getResultList().stream().map(Campaign::view).toList();
        });
    }

    /** The caller's campaigns, newest first. */
    @GET
    @Path("campaigns/mine")
    public List<Map<String, Object>> mine() {
        String user = subject();
        return read(em -> em.createQuery("select c from Campaign c where c.createdBy = :u order by c.id desc", Campaign.class)
                .setParameter("u", user).getResultList().stream().map(Campaign::view).toList());
    }

    @GET
    @Path("campaigns/{id}")
    public Map<String, Object> get(@PathParam("id") String rawId) {
        long id = JsonInput.id(rawId, "campaign");
        return read(em -> find(em, id, false).view());
    }

    /** Edits name, description or budget: the creator only (403), and only in draft or rejected (409). */
    @PATCH
    @Path("campaigns/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> update(@PathParam("id") String rawId, Map<String, Object> body) {
        Principal who = signedIn();
        long id = JsonInput.id(rawId, "campaign");
        JsonInput in = JsonInput.of(body, Set.of("name", "description", "budget"));
        if (body.isEmpty()) throw ApiError.invalid("nothing to change: give at least one of [budget, description, name]");
        String name = in.optionalText("name", 200);
        String description = in.optionalText("description", 4000);
        BigDecimal budget = in.optionalAmount("budget", 2, MAX_BUDGET);
        return inTransaction(em -> {
            Campaign c = find(em, id, true);
            if (!Workflow.isOwner(who, c.createdBy)) throw ApiError.forbidden("campaign " + id + " belongs to another user");
            if (!c.status().editable()) throw ApiError.conflict("a campaign can only be edited in draft or rejected, not " + c.status);
            if (name != null) c.name = name;
            if (description != null) c.description = description;
            if (budget != null) c.budget = budget;
            c.updatedAt = Instant.now();
            return c.view();
        });
    }

    /**
     * Moves a campaign along its lifecycle: body {@code {"status": "<target>", "reason": "..."}}. 409 for a move the
     * state machine does not allow, 403 when the caller may not make it, 400 for an unknown status.
     */
    @POST
    @Path("campaigns/{id}/status")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> transition(@PathParam("id") String rawId, Map<String, Object> body) {
        Principal who = caller;
        long id = JsonInput.id(rawId, "campaign");
        JsonInput in = JsonInput.of(body, Set.of("status", "reason"));
        String target = in.requiredText("status", 40);
        String reason = in.optionalText("reason", 1000);
        boolean[] decided = {false}; // set inside the transaction, counted only once it has committed
        Map<String, Object> moved = inTransaction(em -> {
            Campaign c = find(em, id, true);
            CampaignStatus.Transition t = workflow.check(c.status(), target, who, c.createdBy, reason);
            c.status = t.to().wire();
            if (t.actor() == CampaignStatus.Actor.APPROVER) {
                c.decidedBy = who.subject() == null ? who.role() : who.subject();
                c.decisionNote = reason;
                decided[0] = true;
            }
            c.updatedAt = Instant.now();
            return c.view();
        });
        activity.statusChanged(decided[0]);
        return moved;
    }

    /**
     * Adds to a running campaign's counters: body with any of {@code impressions}, {@code clicks}, {@code conversions}
     * (non-negative increments). The creator or the service role; 409 unless the campaign is active.
     */
    @POST
    @Path("campaigns/{id}/metrics")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> metrics(@PathParam("id") String rawId, Map<String, Object> body) {
        Principal who = caller;
        long id = JsonInput.id(rawId, "campaign");
        JsonInput in = JsonInput.of(body, Set.of("impressions", "clicks", "conversions"));
        Long impressions = in.optionalLong("impressions", 0, MAX_METRIC_STEP);
        Long clicks = in.optionalLong("clicks", 0, MAX_METRIC_STEP);
        Long conversions = in.optionalLong("conversions", 0, MAX_METRIC_STEP);
        if (impressions == null && clicks == null && conversions == null) {
            throw ApiError.invalid("give at least one of impressions, clicks, conversions");
        }
        Map<String, Object> recorded = inTransaction(em -> {
            Campaign c = find(em, id, true);
            if (!Workflow.isOwner(who, c.createdBy)) throw ApiError.forbidden("only the campaign's creator may record its metrics");
            if (!c.status().collectsMetrics()) throw ApiError.conflict("metrics are recorded only while a campaign is active, not " + c.status);
            if (impressions != null) c.impressions += impressions;
            if (clicks != null) c.clicks += clicks;
            if (conversions != null) c.conversions += conversions;
            c.updatedAt = Instant.now();
            return c.view();
        });
        activity.metricsRecorded();
        return recorded;
    }

    /** Deletes a campaign: the creator only, and only in draft or rejected (a campaign that ran keeps its record). */
    @DELETE
    @Path("campaigns/{id}")
    public Response delete(@PathParam("id") String rawId) {
        Principal who = signedIn();
        long id = JsonInput.id(rawId, "campaign");
        inTransaction(em -> {
            Campaign c = find(em, id, true);
            if (!Workflow.isOwner(who, c.createdBy)) throw ApiError.forbidden("campaign " + id + " belongs to another user");
            if (!c.status().editable()) throw ApiError.conflict("a campaign can only be deleted in draft or rejected, not " + c.status);
            em.remove(c);
            return null;
        });
        return Response.noContent().build();
    }

    private static Campaign find(EntityManager em, long id, boolean lock) {
        Campaign c = lock ? em.find(Campaign.class, id, LockModeType.PESSIMISTIC_WRITE) : em.find(Campaign.class, id);
        if (c == null) throw ApiError.notFound("no campaign with id " + id);
        return c;
    }

    private <T> T read(Function<EntityManager, T> work) {
        EntityManager em = entityManagerFactory.get().createEntityManager();
        try {
            return work.apply(em);
        } finally {
            em.close();
        }
    }

    /** Runs {@code work} in one transaction; any exception (including a refusal) rolls everything back. */
    private <T> T inTransaction(Function<EntityManager, T> work) {
        EntityManager em = entityManagerFactory.get().createEntityManager();
        try {
            em.getTransaction().begin();
            T result = work.apply(em);
            em.getTransaction().commit();
            return result;
        } finally {
            if (em.getTransaction().isActive()) em.getTransaction().rollback();
            em.close();
        }
    }

    /** The caller, who must be a signed-in user or the service role (which acts as every campaign's owner). */
    private Principal signedIn() {
        if (caller.subject() == null && !"service_role".equals(caller.role())) {
            throw ApiError.forbidden("this needs a signed-in user (the token has no sub)");
        }
        return caller;
    }

    /** The caller's {@code sub}: a campaign's creator and "my campaigns" need one (a bare service key has none). */
    private String subject() {
        if (caller.subject() == null) throw ApiError.forbidden("campaigns are created by a signed-in user (the token has no sub)");
        return caller.subject();
    }
}
