package dev.herald.plugins.bookmarks;

import dev.herald.plugins.support.JsonInput;
import dev.herald.plugins.support.ApiError;

import dev.herald.api.policy.Principal;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The REST API at {@code /plugins/bookmarks}, for one request: Herald creates one per request with the verified caller
 * ({@link BookmarksPlugin#restResource}). Every call acts on the bookmarks of the caller's {@code sub}; plain JDBC,
 * because the one interesting statement ({@code INSERT ... ON CONFLICT DO NOTHING}) has no JPA equivalent.
 *
 * <p>Threading: an instance serves one request on its thread; the data source and the activity counters it shares
 * with every other request are thread-safe.
 */
@Produces(MediaType.APPLICATION_JSON)
public final class BookmarksApi {
    private static final String COLUMNS = "id, user_id, item_type, item_id, note, created_at";

    private final DataSource dataSource;
    private final BookmarkActivity activity;
    private final Principal caller;

    BookmarksApi(DataSource dataSource, BookmarkActivity activity, Principal caller) {
        this.dataSource = dataSource;
        this.activity = activity;
        this.caller = caller;
    }

    /**
     * Adds a bookmark. Idempotent: adding the same (item_type, item_id) again answers 200 with the same row and
     * changes nothing (no second row, no change event).
     */
    @POST
    @Path("bookmarks")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> add(Map<String, Object> body) throws SQLException {
        String user = subject();
        BookmarkInput in = BookmarkInput.parse(body);
        try (Connection c = dataSource.getConnection()) {
            // A concurrent delete can remove the row between the two statements; a second round then inserts it.
            for (int attempt = 0; attempt < 3; attempt++) {
                try (PreparedStatement ins = c.prepareStatement("INSERT INTO public.bookmarks (user_id, item_type, item_id, note) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT ON CONSTRAINT bookmarks_user_item DO NOTHING RETURNING " + COLUMNS)) {
                    ins.setString(1, user);
                    ins.setString(2, in.itemType());
                    ins.setString(3, in.itemId());
                    ins.setString(4, in.note());
                    try (ResultSet rs = ins.executeQuery()) {
                        if (rs.next()) {
                            activity.added();
                            return row(rs);
                        }
                    }
                }
                try (PreparedStatement sel = c.prepareStatement("SELECT " + COLUMNS + " FROM public.bookmarks WHERE user_id = ? AND item_type = ? AND item_id = ?")) {
                    sel.setString(1, user);
                    sel.setString(2, in.itemType());
                    sel.setString(3, in.itemId());
                    try (ResultSet rs = sel.executeQuery()) {
                        if (rs.next()) return row(rs);
                    }
                }
            }
        }
        throw ApiError.conflict("the bookmark was removed concurrently while being added; retry");
    }

    /** The caller's bookmarks, newest first, optionally of one item type. */
    @GET
    @Path("bookmarks")
    public List<Map<String, Object>> list(@QueryParam("item_type") String itemType) throws SQLException {
        String user = subject();
        if (itemType != null && !BookmarkInput.ITEM_TYPES.contains(itemType)) {
            throw ApiError.invalid("item_type must be one of " + BookmarkInput.ITEM_TYPES);
        }
        String sql = "SELECT " + COLUMNS + " FROM public.bookmarks WHERE user_id = ?" + (itemType == null ? "" : " AND item_type = ?")
                + " ORDER BY created_at DESC, id DESC";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, user);
            if (itemType != null) ps.setString(2, itemType);
            List<Map<String, Object>> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(row(rs));
            }
            return out;
        }
    }

    /** One bookmark of the caller: 404 when no such id, 403 when it is someone else's. */
    @GET
    @Path("bookmarks/{id}")
    public Map<String, Object> get(@PathParam("id") String rawId) throws SQLException {
        String user = subject();
        long id = JsonInput.id(rawId, "bookmark");
        try (Connection c = dataSource.getConnection()) {
            Map<String, Object> row = find(c, id);
            if (!user.equals(row.get("user_id"))) throw ApiError.forbidden("bookmark " + id + " belongs to another user");
            return row;
        }
    }

    /** Removes one bookmark by id: 204; 404 when no such id; 403 when it is someone else's (then nothing changes). */
    @DELETE
    @Path("bookmarks/{id}")
    public Response remove(@PathParam("id") String rawId) throws SQLException {
        String user = subject();
        long id = JsonInput.id(rawId, "bookmark");
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM public.bookmarks WHERE id = ? AND user_id = ?")) {
                del.setLong(1, id);
                del.setString(2, user);
                if (del.executeUpdate() == 1) {
                    activity.removed(1);
                    return Response.noContent().build();
                }
            }
            find(c, id); // 404 when it never existed (or is already gone)
            throw ApiError.forbidden("bookmark " + id + " belongs to another user");
        }
    }

    /** Removes the caller's bookmark of one item, if any: 204 either way (the mirror image of the idempotent add). */
    @DELETE
    @Path("items/{type}/{itemId}")
    public Response removeItem(@PathParam("type") String type, @PathParam("itemId") String itemId) throws SQLException {
        String user = subject();
        if (!BookmarkInput.ITEM_TYPES.contains(type)) throw ApiError.invalid("item type must be one of " + BookmarkInput.ITEM_TYPES);
        BookmarkInput.checkItemId(itemId);
        try (Connection c = dataSource.getConnection();
             PreparedStatement del = c.prepareStatement("DELETE FROM public.bookmarks WHERE user_id = ? AND item_type = ? AND item_id = ?")) {
            del.setString(1, user);
            del.setString(2, type);
            del.setString(3, itemId);
            activity.removed(del.executeUpdate());
            return Response.noContent().build();
        }
    }

    private static Map<String, Object> find(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM public.bookmarks WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) throw ApiError.notFound("no bookmark with id " + id);
                return row(rs);
            }
        }
    }

    private static Map<String, Object> row(ResultSet rs) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", rs.getLong("id"));
        m.put("user_id", rs.getString("user_id"));
        m.put("item_type", rs.getString("item_type"));
        m.put("item_id", rs.getString("item_id"));
        m.put("note", rs.getString("note"));
        m.put("created_at", rs.getObject("created_at", OffsetDateTime.class).toString());
        return m;
    }

    /** The caller's {@code sub}; bookmarks need one (a bare anon or service key has none). */
    private String subject() {
        if (caller.subject() == null) throw ApiError.forbidden("bookmarks belong to a signed-in user (the token has no sub)");
        return caller.subject();
    }
}
