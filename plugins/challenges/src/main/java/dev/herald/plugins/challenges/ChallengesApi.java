package dev.herald.plugins.challenges;

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
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The REST API at {@code /plugins/challenges}, plain JDBC. A submission and the notification it gives the challenge's
 * creator are written in one transaction: the notification exists exactly when the submission does (a table hook would
 * see the submission only after commit, at least once, on the change-capture thread where I/O does not belong).
 *
 * <p>One instance serves one request: Herald creates it per request with the verified caller
 * ({@link ChallengesPlugin#restResource}); the data source and the activity counters it shares with every other
 * request are thread-safe.
 */
@Produces(MediaType.APPLICATION_JSON)
public final class ChallengesApi {
    private static final String CHALLENGE = "id, created_by, title, description, sections, status, created_at, updated_at";
    private static final String SUBMISSION = "id, challenge_id, submitted_by, content, status, created_at, reviewed_at";
    private static final String NOTIFICATION = "id, user_id, challenge_id, submission_id, kind, message, read_at, created_at";

    private final DataSource dataSource;
    private final ChallengeActivity activity;
    private final Principal caller;

    ChallengesApi(DataSource dataSource, ChallengeActivity activity, Principal caller) {
        this.dataSource = dataSource;
        this.activity = activity;
        this.caller = caller;
    }

    // ---------------------------------------------------------------------------------------------- challenges

    @POST
    @Path("challenges")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(Map<String, Object> body) throws SQLException {
        String user = subject();
        ChallengeInput in = ChallengeInput.forCreate(body);
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO public.challenges (created_by, title, description, sections) VALUES (?, ?, ?, ?) RETURNING " + CHALLENGE)) {
            ps.setString(1, user);
            ps.setString(2, in.title());
            ps.setString(3, in.description() == null ? "" : in.description());
            ps.setArray(4, c.createArrayOf("text", (in.sections() == null ? List.of() : in.sections()).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Map<String, Object> created = challenge(rs);
                activity.created();
                return Response.status(201).entity(created).build();
            }
        }
    }

    /** Every challenge, newest first; {@code ?status=open|closed} narrows. */
    @GET
    @Path("challenges")
    public List<Map<String, Object>> list(@QueryParam("status") String status) throws SQLException {
        if (status != null && !ChallengeInput.STATUSES.contains(status)) throw ApiError.invalid("status must be one of " + ChallengeInput.STATUSES);
        return query("SELECT " + CHALLENGE + " FROM public.challenges" + (status == null ? "" : " WHERE status = ?") + " ORDER BY id DESC LIMIT 500",
                status, ChallengesApi::challenge);
    }

    /** "My challenges": the ones the caller created ({@code created_by} = the token's sub), newest first. */
    @GET
    @Path("challenges/mine")
    public List<Map<String, Object>> mine() throws SQLException {
        return query("SELECT " + CHALLENGE + " FROM public.challenges WHERE created_by = ? ORDER BY id DESC", subject(), ChallengesApi::challenge);
    }

    @GET
    @Path("challenges/{id}")
    public Map<String, Object> get(@PathParam("id") String rawId) throws SQLException {
        long id = JsonInput.id(rawId, "challenge");
        try (Connection c = dataSource.getConnection()) {
            return findChallenge(c, id, false);
        }
    }

    /** Changes a challenge of the caller's (title, description, sections, status open/closed). */
    @PATCH
    @Path("challenges/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> update(@PathParam("id") String rawId, Map<String, Object> body) throws SQLException {
        String user = subject();
        long id = JsonInput.id(rawId, "challenge");
        ChallengeInput in = ChallengeInput.forUpdate(body);
        return Transactions.run(dataSource, c -> {
            requireOwner(findChallenge(c, id, true), user);
            try (PreparedStatement ps = c.prepareStatement("UPDATE public.challenges SET title = COALESCE(?, title), description = COALESCE(?, description), "
                    + "sections = COALESCE(?, sections), status = COALESCE(?, status), updated_at = now() WHERE id = ? RETURNING " + CHALLENGE)) {
                ps.setString(1, in.title());
                ps.setString(2, in.description());
                ps.setArray(3, in.sections() == null ? null : c.createArrayOf("text", in.sections().toArray()));
                ps.setString(4, in.status());
                ps.setLong(5, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Map<String, Object> out = challenge(rs);
                    return out;
                }
            }
        });
    }

    @DELETE
    @Path("challenges/{id}")
    public Response delete(@PathParam("id") String rawId) throws SQLException {
        String user = subject();
        long id = JsonInput.id(rawId, "challenge");
        return Transactions.run(dataSource, c -> {
            requireOwner(findChallenge(c, id, true), user);
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM public.challenges WHERE id = ?")) {
                ps.setLong(1, id);
                ps.executeUpdate();
            }
            return Response.noContent().build();
        });
    }

    // --------------------------------------------------------------------------------------------- submissions

    /**
     * Submits to an open challenge: 201 with the submission. In the same transaction the challenge's creator gets a
     * {@code submission_received} notification (none when creators submit to their own challenge).
     */
    @POST
    @Path("challenges/{id}/submissions")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response submit(@PathParam("id") String rawId, Map<String, Object> body) throws SQLException {
        String user = subject();
        long id = JsonInput.id(rawId, "challenge");
        String content = ChallengeInput.submission(body);
        boolean[] notified = {false}; // set inside the transaction, counted only once it has committed
        Response created = Transactions.run(dataSource, c -> {
            // FOR SHARE: a concurrent close (UPDATE) waits for this submission, so none lands on a closed challenge.
            Map<String, Object> ch = findChallenge(c, id, " FOR SHARE");
            if (!"open".equals(ch.get("status"))) throw ApiError.conflict("challenge " + id + " is closed for submissions");
            Map<String, Object> sub;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO public.challenge_submissions (challenge_id, submitted_by, content) VALUES (?, ?, ?) RETURNING " + SUBMISSION)) {
                ps.setLong(1, id);
                ps.setString(2, user);
                ps.setString(3, content);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    sub = submission(rs);
                }
            }
            String owner = (String) ch.get("created_by");
            if (!owner.equals(user)) {
                notify(c, owner, id, (Long) sub.get("id"), "submission_received", Review.receivedMessage(user, (String) ch.get("title")));
                notified[0] = true;
            }
            return Response.status(201).entity(sub).build();
        });
        activity.submitted(notified[0] ? 1 : 0);
        return created;
    }

    /** A challenge's submissions, oldest first (visible to every signed-in user, like the challenge channel). */
    @GET
    @Path("challenges/{id}/submissions")
    public List<Map<String, Object>> submissions(@PathParam("id") String rawId) throws SQLException {
        long id = JsonInput.id(rawId, "challenge");
        try (Connection c = dataSource.getConnection()) {
            findChallenge(c, id, false);
        }
        return query("SELECT " + SUBMISSION + " FROM public.challenge_submissions WHERE challenge_id = ? ORDER BY id", id, ChallengesApi::submission);
    }

    /**
     * Reviews a submission ({@code {"status": "accepted" | "rejected"}}): the challenge's creator only (403), once (409).
     * The submitter gets a {@code submission_reviewed} notification in the same transaction.
     */
    @PATCH
    @Path("submissions/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> review(@PathParam("id") String rawId, Map<String, Object> body) throws SQLException {
        String user = subject();
        long id = JsonInput.id(rawId, "submission");
        String decision = Review.decision(body);
        boolean[] notified = {false}; // as in submit
        Map<String, Object> reviewed = Transactions.run(dataSource, c -> {
            Map<String, Object> sub;
            try (PreparedStatement ps = c.prepareStatement("SELECT " + SUBMISSION + " FROM public.challenge_submissions WHERE id = ? FOR UPDATE")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) throw ApiError.notFound("no submission with id " + id);
                    sub = submission(rs);
                }
            }
            Map<String, Object> ch = findChallenge(c, (Long) sub.get("challenge_id"), false);
            Review.check((String) sub.get("status"), user, (String) ch.get("created_by"), (String) ch.get("status"));
            Map<String, Object> out;
            try (PreparedStatement ps = c.prepareStatement("UPDATE public.challenge_submissions SET status = ?, reviewed_at = now() WHERE id = ? RETURNING " + SUBMISSION)) {
                ps.setString(1, decision);
                ps.setLong(2, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    out = submission(rs);
                }
            }
            String submitter = (String) sub.get("submitted_by");
            if (!submitter.equals(user)) {
                notify(c, submitter, (Long) sub.get("challenge_id"), id, "submission_reviewed", Review.reviewedMessage(decision, (String) ch.get("title")));
                notified[0] = true;
            }
            return out;
        });
        activity.reviewed(notified[0] ? 1 : 0);
        return reviewed;
    }

    // ------------------------------------------------------------------------------------------- notifications

    /** The caller's notifications, newest first; {@code ?unread=true} for unread ones only. */
    @GET
    @Path("notifications")
    public List<Map<String, Object>> notifications(@QueryParam("unread") String unread) throws SQLException {
        String user = subject();
        if (unread != null && !unread.equals("true") && !unread.equals("false")) throw ApiError.invalid("unread must be true or false");
        return query("SELECT " + NOTIFICATION + " FROM public.challenge_notifications WHERE user_id = ?"
                + ("true".equals(unread) ? " AND read_at IS NULL" : "") + " ORDER BY id DESC LIMIT 500", user, ChallengesApi::notification);
    }

    /** Marks one of the caller's notifications read (idempotent): 404 unknown, 403 someone else's. */
    @POST
    @Path("notifications/{id}/read")
    public Map<String, Object> markRead(@PathParam("id") String rawId) throws SQLException {
        String user = subject();
        long id = JsonInput.id(rawId, "notification");
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE public.challenge_notifications SET read_at = COALESCE(read_at, now()) WHERE id = ? AND user_id = ? RETURNING " + NOTIFICATION)) {
                ps.setLong(1, id);
                ps.setString(2, user);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) return notification(rs);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM public.challenge_notifications WHERE id = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) throw ApiError.notFound("no notification with id " + id);
                }
            }
            throw ApiError.forbidden("notification " + id + " belongs to another user");
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private static void notify(Connection c, String user, long challengeId, long submissionId, String kind, String message) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO public.challenge_notifications (user_id, challenge_id, submission_id, kind, message) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, user);
            ps.setLong(2, challengeId);
            ps.setLong(3, submissionId);
            ps.setString(4, kind);
            ps.setString(5, message);
            ps.executeUpdate();
        }
    }

    private interface RowReader {
        Map<String, Object> read(ResultSet rs) throws SQLException;
    }

    private List<Map<String, Object>> query(String sql, Object param, RowReader reader) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (param != null) ps.setObject(1, param);
            List<Map<String, Object>> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(reader.read(rs));
            }
            return out;
        }
    }

    private static Map<String, Object> findChallenge(Connection c, long id, boolean lock) throws SQLException {
        return findChallenge(c, id, lock ? " FOR UPDATE" : "");
    }

    private static Map<String, Object> findChallenge(Connection c, long id, String lockClause) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + CHALLENGE + " FROM public.challenges WHERE id = ?" + lockClause)) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) throw ApiError.notFound("no challenge with id " + id);
                return challenge(rs);
            }
        }
    }

    private static void requireOwner(Map<String, Object> challenge, String user) {
        if (!user.equals(challenge.get("created_by"))) throw ApiError.forbidden("challenge " + challenge.get("id") + " belongs to another user");
    }

    private static Map<String, Object> challenge(ResultSet rs) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", rs.getLong("id"));
        m.put("created_by", rs.getString("created_by"));
        m.put("title", rs.getString("title"));
        m.put("description", rs.getString("description"));
        Array sections = rs.getArray("sections");
        m.put("sections", sections == null ? List.of() : Arrays.asList((String[]) sections.getArray()));
        m.put("status", rs.getString("status"));
        m.put("created_at", text(rs, "created_at"));
        m.put("updated_at", text(rs, "updated_at"));
        return m;
    }

    private static Map<String, Object> submission(ResultSet rs) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", rs.getLong("id"));
        m.put("challenge_id", rs.getLong("challenge_id"));
        m.put("submitted_by", rs.getString("submitted_by"));
        m.put("content", rs.getString("content"));
        m.put("status", rs.getString("status"));
        m.put("created_at", text(rs, "created_at"));
        m.put("reviewed_at", text(rs, "reviewed_at"));
        return m;
    }

    private static Map<String, Object> notification(ResultSet rs) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", rs.getLong("id"));
        m.put("user_id", rs.getString("user_id"));
        m.put("challenge_id", rs.getLong("challenge_id"));
        long sub = rs.getLong("submission_id");
        m.put("submission_id", rs.wasNull() ? null : sub);
        m.put("kind", rs.getString("kind"));
        m.put("message", rs.getString("message"));
        m.put("read_at", text(rs, "read_at"));
        m.put("created_at", text(rs, "created_at"));
        return m;
    }

    private static String text(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toString();
    }

    /** The caller's {@code sub}; creating, submitting, reviewing and notifications need one (a bare anon or service key has none). */
    private String subject() {
        if (caller.subject() == null) throw ApiError.forbidden("this needs a signed-in user (the token has no sub)");
        return caller.subject();
    }
}
