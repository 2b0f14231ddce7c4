package dev.herald.plugins.events;

import dev.herald.plugins.support.JsonInput;
import dev.herald.plugins.support.Transactions;
import dev.herald.plugins.support.ApiError;

import dev.herald.api.policy.Principal;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The REST API at {@code /plugins/events}. Plain JDBC: joins and leaves are short transactions that lock the event's
 * row ({@code SELECT ... FOR UPDATE}) before checking capacity and moving {@code participant_count}, so concurrent joins
 * of one event are serialised and the count is exact; joins of different events do not wait for each other.
 *
 * <p>One instance serves one request: Herald creates it per request with the verified caller
 * ({@link EventsPlugin#restResource}); the data source and the activity counters it shares with every other request
 * are thread-safe.
 */
@Produces(MediaType.APPLICATION_JSON)
public final class EventsApi {
    private static final String COLUMNS = "id, created_by, title, description, starts_at, capacity, participant_count, created_at, updated_at";

    private final DataSource dataSource;
    private final EventActivity activity;
    private final Principal caller;

    EventsApi(DataSource dataSource, EventActivity activity, Principal caller) {
        this.dataSource = dataSource;
        this.activity = activity;
        this.caller = caller;
    }

    /** Creates an event owned by the caller: 201 with the row. */
    @POST
    @Path("events")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(Map<String, Object> body) throws SQLException {
        String user = subject();
        EventInput in = EventInput.forCreate(body);
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO public.events (created_by, title, description, starts_at, capacity) "
                     + "VALUES (?, ?, ?, ?, ?) RETURNING " + COLUMNS)) {
            ps.setString(1, user);
            ps.setString(2, in.title());
            ps.setString(3, in.description() == null ? "" : in.description());
            ps.setObject(4, in.startsAt(), Types.TIMESTAMP_WITH_TIMEZONE);
            ps.setInt(5, in.capacity());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Map<String, Object> created = event(rs);
                activity.created();
                return Response.status(201).entity(created).build();
            }
        }
    }

    /** Every event, soonest first (events without a start last). */
    @GET
    @Path("events")
    public List<Map<String, Object>> list() throws SQLException {
        return events("SELECT " + COLUMNS + " FROM public.events ORDER BY starts_at NULLS LAST, id LIMIT 500", null);
    }

    /** The events the caller created. */
    @GET
    @Path("events/mine")
    public List<Map<String, Object>> mine() throws SQLException {
        return events("SELECT " + COLUMNS + " FROM public.events WHERE created_by = ? ORDER BY starts_at NULLS LAST, id", subject());
    }

    /** The events the caller joined. */
    @GET
    @Path("events/joined")
    public List<Map<String, Object>> joined() throws SQLException {
        return events("SELECT " + COLUMNS.replaceAll("(\\w+)", "e.$1") + " FROM public.events e JOIN public.event_participants p ON p.event_id = e.id "
                + "WHERE p.user_id = ? ORDER BY e.starts_at NULLS LAST, e.id", subject());
    }

    @GET
    @Path("events/{id}")
    public Map<String, Object> get(@PathParam("id") String rawId) throws SQLException {
        long id = JsonInput.id(rawId, "event");
        try (Connection c = dataSource.getConnection()) {
            return find(c, id, false);
        }
    }

    /** Changes an event of the caller's; a capacity below the current participant count is a 409. */
    @PATCH
    @Path("events/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> update(@PathParam("id") String rawId, Map<String, Object> body) throws SQLException {
        String user = subject();
        long id = JsonInput.id(rawId, "event");
        EventInput in = EventInput.forUpdate(body);
        return Transactions.run(dataSource, c -> {
            Map<String, Object> current = find(c, id, true);
            requireOwner(current, user);
            if (in.capacity() != null) {
                String refusal = Capacity.refuseResize((Integer) current.get("participant_count"), in.capacity());
                if (refusal != null) throw ApiError.conflict(refusal);
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE public.events SET title = COALESCE(?, title), description = COALESCE(?, description), "
                    + "starts_at = COALESCE(?, starts_at), capacity = COALESCE(?, capacity), updated_at = now() WHERE id = ? RETURNING " + COLUMNS)) {
                ps.setString(1, in.title());
                ps.setString(2, in.description());
                ps.setObject(3, in.startsAt(), Types.TIMESTAMP_WITH_TIMEZONE);
                ps.setObject(4, in.capacity(), Types.INTEGER);
                ps.setLong(5, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Map<String, Object> updated = event(rs);
                    return updated;
                }
            }
        });
    }

    /** Deletes an event of the caller's (and its participants): 204. */
    @DELETE
    @Path("events/{id}")
    public Response delete(@PathParam("id") String rawId) throws SQLException {
        String user = subject();
        long id = JsonInput.id(rawId, "event");
        return Transactions.run(dataSource, c -> {
            requireOwner(find(c, id, true), user);
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM public.events WHERE id = ?")) {
                ps.setLong(1, id);
                ps.executeUpdate();
            }
            return Response.noContent().build();
        });
    }

    /**
     * Joins the caller to an event: 201 the first time, 200 with the same shape when already joined (nothing changes),
     * 409 when the event is full (nothing changes), 404 when there is no such event.
     */
    @POST
    @Path("events/{id}/join")
    public Response join(@PathParam("id") String rawId) throws SQLException {
        String user = subject();
        long id = JsonInput.id(rawId, "event");
        Response joined = Transactions.run(dataSource, c -> {
            // The row lock serialises every join and leave of this event until commit.
            Map<String, Object> event = find(c, id, true);
            int count = (Integer) event.get("participant_count");
            int capacity = (Integer) event.get("capacity");
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO public.event_participants (event_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
                ins.setLong(1, id);
                ins.setString(2, user);
                if (ins.executeUpdate() == 0) {
                    return Response.ok(participation(id, user, true, count, capacity)).build();
                }
            }
            if (!Capacity.hasRoom(count, capacity)) {
                activity.refusedFull();
                c.rollback();
                throw ApiError.conflict("event " + id + " is full (" + count + " of " + capacity + " places taken)");
            }
            int now = moveCount(c, id, +1);
            return Response.status(201).entity(participation(id, user, true, now, capacity)).build();
        });
        if (joined.getStatus() == 201) activity.joined();
        return joined;
    }

    /** Removes the caller from an event: 200 with the new count; 409 when the caller had not joined; 404 for no such event. */
    @POST
    @Path("events/{id}/leave")
    public Map<String, Object> leave(@PathParam("id") String rawId) throws SQLException {
        String user = subject();
        long id = JsonInput.id(rawId, "event");
        Map<String, Object> left = Transactions.run(dataSource, c -> {
            Map<String, Object> event = find(c, id, true);
            try (PreparedStatement del = c.prepareStatement("DELETE FROM public.event_participants WHERE event_id = ? AND user_id = ?")) {
                del.setLong(1, id);
                del.setString(2, user);
                if (del.executeUpdate() == 0) throw ApiError.conflict("you have not joined event " + id);
            }
            int now = moveCount(c, id, -1);
            return participation(id, user, false, now, (Integer) event.get("capacity"));
        });
        activity.left();
        return left;
    }

    /** Who joined an event, first joiner first. */
    @GET
    @Path("events/{id}/participants")
    public List<Map<String, Object>> participants(@PathParam("id") String rawId) throws SQLException {
        long id = JsonInput.id(rawId, "event");
        try (Connection c = dataSource.getConnection()) {
            find(c, id, false);
            try (PreparedStatement ps = c.prepareStatement("SELECT user_id, joined_at FROM public.event_participants WHERE event_id = ? ORDER BY joined_at, user_id")) {
                ps.setLong(1, id);
                List<Map<String, Object>> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("user_id", rs.getString(1));
                        m.put("joined_at", text(rs.getObject(2, OffsetDateTime.class)));
                        out.add(m);
                    }
                }
                return out;
            }
        }
    }

    private static int moveCount(Connection c, long id, int delta) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE public.events SET participant_count = participant_count + ? WHERE id = ? RETURNING participant_count")) {
            ps.setInt(1, delta);
            ps.setLong(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static Map<String, Object> participation(long eventId, String user, boolean joined, int count, int capacity) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event_id", eventId);
        m.put("user_id", user);
        m.put("joined", joined);
        m.put("participant_count", count);
        m.put("capacity", capacity);
        return m;
    }

    private List<Map<String, Object>> events(String sql, String param) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (param != null) ps.setString(1, param);
            List<Map<String, Object>> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(event(rs));
            }
            return out;
        }
    }

    private static Map<String, Object> find(Connection c, long id, boolean lock) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM public.events WHERE id = ?" + (lock ? " FOR UPDATE" : ""))) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) throw ApiError.notFound("no event with id " + id);
                return event(rs);
            }
        }
    }

    private static void requireOwner(Map<String, Object> event, String user) {
        if (!user.equals(event.get("created_by"))) throw ApiError.forbidden("event " + event.get("id") + " belongs to another user");
    }

    private static Map<String, Object> event(ResultSet rs) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", rs.getLong("id"));
        m.put("created_by", rs.getString("created_by"));
        m.put("title", rs.getString("title"));
        m.put("description", rs.getString("description"));
        m.put("starts_at", text(rs.getObject("starts_at", OffsetDateTime.class)));
        m.put("capacity", rs.getInt("capacity"));
        m.put("participant_count", rs.getInt("participant_count"));
        m.put("created_at", text(rs.getObject("created_at", OffsetDateTime.class)));
        m.put("updated_at", text(rs.getObject("updated_at", OffsetDateTime.class)));
        return m;
    }

    private static String text(OffsetDateTime t) {
        return t == null ? null : t.toString();
    }

    /** The caller's {@code sub}; the caller's own events and participations need one (a bare anon or service key has none). */
    private String subject() {
        if (caller.subject() == null) throw ApiError.forbidden("this needs a signed-in user (the token has no sub)");
        return caller.subject();
    }
}
