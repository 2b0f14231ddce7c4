package dev.herald.plugins.notes;

import dev.herald.api.ErrorCode;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.policy.Principal;
import jakarta.persistence.EntityManager;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** The REST API at {@code /plugins/notes}. Every call needs a JWT; notes belong to the token's {@code sub}. */
@Produces(MediaType.APPLICATION_JSON)
public final class NotesApi {
    private final PluginContext context;
    private final int maxBody;
    private final Map<String, AtomicLong> counts;

    NotesApi(PluginContext context, int maxBody, Map<String, AtomicLong> counts) {
        this.context = context;
        this.maxBody = maxBody;
        this.counts = counts;
    }

    /** The body of {@code POST /plugins/notes/notes}. */
    public record NewNote(String topic, String body) {
    }

    @POST
    @Path("notes")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(@Context HttpHeaders headers, NewNote in) {
        Principal who = signedIn(headers);
        if (in == null || blank(in.topic()) || blank(in.body())) throw invalid("topic and body are required");
        if (in.topic().length() > 200 || in.topic().contains(":")) throw invalid("topic must be at most 200 characters without ':'");
        if (in.body().length() > maxBody) throw invalid("body is longer than " + maxBody + " characters");
        EntityManager em = context.entityManagerFactory().createEntityManager();
        try {
            em.getTransaction().begin();
            Note n = new Note(who.subject(), in.topic(), in.body());
            em.persist(n);
            em.getTransaction().commit();
            return Response.status(201).entity(n.view()).build();
        } finally {
            if (em.getTransaction().isActive()) em.getTransaction().rollback();
            em.close();
        }
    }

    @GET
    @Path("notes")
    public List<Note.View> mine(@Context HttpHeaders headers, @QueryParam("topic") String topic) {
        Principal who = signedIn(headers);
        EntityManager em = context.entityManagerFactory().createEntityManager();
        try {
            String q = "select n from Note n where n.owner = :owner" + (topic == null ? "" : " and n.topic = :topic") + " order by n.id";
            var query = em.createQuery(q, Note.class).setParameter("owner", who.subject());
            if (topic != null) query.setParameter("topic", topic);
            return query.getResultList().stream().map(Note::view).toList();
        } finally {
            em.close();
        }
    }

    @GET
    @Path("counts/{topic}")
    public Map<String, Object> count(@Context HttpHeaders headers, @PathParam("topic") String topic) {
        context.principal(headers);
        AtomicLong n = counts.get(topic);
        return Map.of("topic", topic, "count", n == null ? 0 : n.get());
    }

    /** Who is looking at a topic right now: the presence state of its public channel, read through the engine. */
    @GET
    @Path("viewers/{topic}")
    public Map<String, Object> viewers(@Context HttpHeaders headers, @PathParam("topic") String topic) {
        context.principal(headers);
        Map<String, List<Map<String, Object>>> state = context.presence("notes:" + topic, false);
        List<Object> metas = state.values().stream().flatMap(List::stream).map(m -> m.get("section")).map(Object.class::cast).toList();
        return Map.of("topic", topic, "viewers", state.size(), "sections", metas);
    }

    @GET
    @Path("whoami")
    public Map<String, Object> whoami(@Context HttpHeaders headers) {
        Principal who = context.principal(headers);
        return Map.of("role", who.role(), "sub", who.subject() == null ? "" : who.subject());
    }

    private Principal signedIn(HttpHeaders headers) {
        Principal who = context.principal(headers);
        if (who.subject() == null) {
            throw new WebApplicationException(error(403, ErrorCode.PLUGIN_FORBIDDEN, "notes belong to a signed-in user (the token has no sub)"));
        }
        return who;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static WebApplicationException invalid(String message) {
        return new WebApplicationException(error(400, ErrorCode.PLUGIN_INVALID_INPUT, message));
    }

    private static Response error(int status, ErrorCode code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", code.code(), "message", code.message(message))).build();
    }
}
