package dev.herald.plugins.comments;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.ErrorCode;
import dev.herald.api.policy.Principal;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The REST API at {@code /plugins/comments} (docs/plugins/comments.md). Reading needs any valid JWT; writing needs a
 * token with a {@code sub} (the author or reacting user). Only a comment's author may edit or delete it.
 *
 * <p>One instance serves one request of one caller, whom Herald has already verified (an invalid or missing token
 * never reaches it); the store, rules and JSON mapper are shared by every request and thread-safe.
 */
@Produces(MediaType.APPLICATION_JSON)
public final class CommentsApi {
    private static final Logger LOG = Logger.getLogger(CommentsApi.class.getName());
    static final int MAX_LIST = 1000;

    private final CommentStore store;
    private final CommentRules rules;
    private final ObjectMapper json;
    private final Principal caller;

    CommentsApi(CommentStore store, CommentRules rules, ObjectMapper json, Principal caller) {
        this.store = store;
        this.rules = rules;
        this.json = json;
        this.caller = caller;
    }

    @GET
    @Path("items/{type}/{id}/comments")
    public List<Comment> list(@PathParam("type") String type, @PathParam("id") String id,
                              @QueryParam("after") String after, @QueryParam("limit") String limit) {
        item(type, id);
        long from = after == null ? 0 : number("after", after, 0, Long.MAX_VALUE);
        int n = limit == null ? 200 : (int) number("limit", limit, 1, MAX_LIST);
        return db(() -> store.list(type, id, from, n));
    }

    @POST
    @Path("items/{type}/{id}/comments")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(@PathParam("type") String type, @PathParam("id") String id, String body) {
        Principal who = signedIn();
        item(type, id);
        JsonNode in = object(body, Set.of("body", "parent_id"));
        String text = text(in, "body");
        String bad = rules.checkBody(text);
        if (bad != null) throw refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, bad);
        Long parent = null;
        JsonNode p = in.get("parent_id");
        if (p != null && !p.isNull()) {
            if (!p.canConvertToLong() || !p.isIntegralNumber() || p.asLong() < 1) throw refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, "parent_id must be a comment id");
            parent = p.asLong();
        }
        Long parentId = parent;
        Comment c = db(() -> store.create(type, id, parentId, who.subject(), text));
        return Response.status(201).entity(c).build();
    }

    @PATCH
    @Path("comments/{commentId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Comment edit(@PathParam("commentId") String commentIdText, String body) {
        Principal who = signedIn();
        long commentId = commentId(commentIdText);
        JsonNode in = object(body, Set.of("body"));
        String text = text(in, "body");
        String bad = rules.checkBody(text);
        if (bad != null) throw refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, bad);
        return db(() -> store.edit(commentId, who.subject(), text));
    }

    @DELETE
    @Path("comments/{commentId}")
    public Comment delete(@PathParam("commentId") String commentIdText) {
        Principal who = signedIn();
        long commentId = commentId(commentIdText);
        return db(() -> store.delete(commentId, who.subject()));
    }

    @PUT
    @Path("comments/{commentId}/reactions/{emoji}")
    public Map<String, Object> react(@PathParam("commentId") String commentIdText, @PathParam("emoji") String emoji) {
        Principal who = signedIn();
        long commentId = commentId(commentIdText);
        emoji(emoji);
        return db(() -> store.react(commentId, who.subject(), emoji));
    }

    @DELETE
    @Path("comments/{commentId}/reactions/{emoji}")
    public Map<String, Object> unreact(@PathParam("commentId") String commentIdText, @PathParam("emoji") String emoji) {
        Principal who = signedIn();
        long commentId = commentId(commentIdText);
        emoji(emoji);
        return db(() -> store.unreact(commentId, who.subject(), emoji));
    }

    private interface Query<T> {
        T run() throws SQLException;
    }

    private static <T> T db(Query<T> q) {
        try {
            return q.run();
        } catch (Refusal r) {
            throw refusal(r.status(), r.code(), r.getMessage());
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "comments: database error", e);
            throw refusal(503, ErrorCode.PLUGIN_UNAVAILABLE, "the comments database is not available; nothing was changed");
        }
    }

    private static long commentId(String text) {
        return number("comment id", text, 1, Long.MAX_VALUE);
    }

    private static long number(String what, String text, long min, long max) {
        long v;
        try {
            v = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, what + " must be a whole number");
        }
        if (v < min || v > max) throw refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, what + " must be between " + min + " and " + max);
        return v;
    }

    private Principal signedIn() {
        Principal who = caller;
        if (who.subject() == null) throw refusal(403, ErrorCode.PLUGIN_FORBIDDEN, "writing comments needs a signed-in user (the token has no sub)");
        return who;
    }

    private static void item(String type, String id) {
        String bad = CommentRules.checkItem(type, id);
        if (bad != null) throw refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, bad);
    }

    private static void emoji(String emoji) {
        String bad = CommentRules.checkEmoji(emoji);
        if (bad != null) throw refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, bad);
    }

    private JsonNode object(String body, Set<String> fields) {
        // A body is at most max-body-length characters of text, escaped (up to 6 characters each), plus a few fields.
        long maxChars = rules.maxBody() * 6L + 1024;
        if (body != null && body.length() > maxChars) throw refusal(413, ErrorCode.PLUGIN_INVALID_INPUT, "the request body is longer than " + maxChars + " characters");
        JsonNode in;
        try {
            in = body == null || body.isBlank() ? null : json.readTree(body);
        } catch (JsonProcessingException e) {
            throw refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, "the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (in == null || !in.isObject()) throw refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, "the body must be a JSON object");
        for (Iterator<String> it = in.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f)) throw refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, "unknown field '" + f + "' (allowed: " + String.join(", ", fields) + ")");
        }
        return in;
    }

    private static String text(JsonNode in, String field) {
        JsonNode v = in.get(field);
        if (v != null && !v.isNull() && !v.isTextual()) throw refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, field + " must be a string");
        return v == null || v.isNull() ? null : v.asText();
    }

    static WebApplicationException refusal(int status, ErrorCode code, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", code.code());
        body.put("message", code.message(message));
        return new WebApplicationException(Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build());
    }
}
