package dev.herald.plugins.notes;

import dev.herald.api.ErrorCode;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.policy.Principal;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The REST API at {@code /plugins/notes}, for one request of one caller: {@link NotesPlugin#restResource} creates it
 * per request with the caller Herald has verified (a request without a valid token never gets here). Notes belong to
 * the caller's {@code sub}. Threading: an instance serves one request on its thread; what it shares with every other
 * request ({@link Shared}) is thread-safe.
 */
@Produces(MediaType.APPLICATION_JSON)
public final class NotesApi {
    private final Shared shared;
    private final Principal caller;

    NotesApi(Shared shared, Principal caller) {
        this.shared = shared;
        this.caller = caller;
    }

    /**
     * What every request shares, created once in {@link NotesPlugin#start}.
     *
     * @param entityManagerFactory built on its first {@code get()}
     * @param context for presence
     * @param maxBody the configured {@code max-body-length}
     * @param counts notes per topic, kept by the plugin's hook
     * @param notesCreated notes this API has created since start
     */
    record Shared(Supplier<EntityManagerFactory> entityManagerFactory, PluginContext context, int maxBody,
                  Map<String, AtomicLong> counts, LongAdder notesCreated) {
    }

    /** The body of {@code POST /plugins/notes/notes}. */
    public record NewNote(String topic, String body) {
    }

    @POST
    @Path("notes")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(NewNote in) {
        String owner = signedIn();
        if (in == null || blank(in.topic()) || blank(in.body())) throw invalid("topic and body are required");
        if (in.topic().length() > 200 || in.topic().contains(":")) throw invalid("topic must be at most 200 characters without ':'");
        if (in.body().length() > shared.maxBody()) throw invalid("body is longer than " + shared.maxBody() + " characters");
        EntityManager em = shared.entityManagerFactory().get().createEntityManager();
        try {
            em.getTransaction().begin();
            Note n = new Note(owner, in.topic(), in.body());
            em.persist(n);
            em.getTransaction().commit();
            shared.notesCreated().increment();
            return Response.status(201).entity(n.view()).build();
        } finally {
            if (em.getTransaction().isActive()) em.getTransaction().rollback();
            em.close();
        }
    }

    @GET
    @Path("notes")
    public List<Note.View> mine(@QueryParam("topic") String topic) {
        String owner = signedIn();
        EntityManager em = shared.entityManagerFactory().get().createEntityManager();
        try {
            String q = "select n from Note n where n.owner = :owner" + (topic == null ? "" : " and n.topic = :topic") + " order by n.id";
            var query = em.createQuery(q, Note.class).setParameter("owner", owner);
            if (topic != null) query.setParameter("topic", topic);
            return query.getResultList().stream().map(Note::view).toList();
        } finally {
            em.close();
        }
    }

    /** How many notes the hook has counted for a topic since start; any valid token may ask. */
    @GET
    @Path("counts/{topic}")
    public Map<String, Object> count(@PathParam("topic") String topic) {
        AtomicLong n = shared.counts().get(topic);
        return Map.of("topic", topic, "count", n == null ? 0 : n.get());
    }

    /** Who is looking at a topic right now: the presence state of its public channel, read through the engine. */
    @GET
    @Path("viewers/{topic}")
    public Map<String, Object> viewers(@PathParam("topic") String topic) {
        Map<String, List<Map<String, Object>>> state = shared.context().presence("notes:" + topic, false);
        List<Object> metas = state.values().stream().flatMap(List::stream).map(m -> m.get("section")).map(Object.class::cast).toList();
        return Map.of("topic", topic, "viewers", state.size(), "sections", metas);
    }

    /** The verified caller as Herald handed it over: its role, and its {@code sub} (empty for a key without one). */
    @GET
    @Path("whoami")
    public Map<String, Object> whoami() {
        return Map.of("role", caller.role(), "sub", caller.subject() == null ? "" : caller.subject());
    }

    /** The caller's {@code sub}; notes need one (the anon and service keys have none): 403 otherwise. */
    private String signedIn() {
        if (caller.subject() == null) {
            throw new WebApplicationException(error(403, ErrorCode.PLUGIN_FORBIDDEN, "notes belong to a signed-in user (the token has no sub)"));
        }
        return caller.subject();
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
