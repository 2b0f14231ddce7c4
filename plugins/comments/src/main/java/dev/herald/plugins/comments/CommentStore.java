package dev.herald.plugins.comments;

import dev.herald.api.ErrorCode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The comments plugin's SQL. Author checks happen inside the transaction that changes the row ({@code FOR UPDATE}), so a
 * refused edit changes nothing. Thread-safe (a connection per call).
 */
final class CommentStore {
    private static final String COLUMNS = "id, item_type, item_id, parent_id, author, body, created_at, edited_at, deleted_at";

    private final DataSource dataSource;

    CommentStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Posts a comment; the parent, when given, must be a comment of the same item. */
    Comment create(String type, String id, Long parentId, String author, String body) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                if (parentId != null) {
                    try (PreparedStatement ps = c.prepareStatement("SELECT item_type, item_id FROM comments WHERE id = ?")) {
                        ps.setLong(1, parentId);
                        try (ResultSet rs = ps.executeQuery()) {
                            if (!rs.next() || !rs.getString(1).equals(type) || !rs.getString(2).equals(id)) {
                                throw new Refusal(400, ErrorCode.PLUGIN_INVALID_INPUT, "parent_id " + parentId + " is not a comment of " + type + " " + id);
                            }
                        }
                    }
                }
                Comment out;
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO comments (item_type, item_id, parent_id, author, body) VALUES (?, ?, ?, ?, ?) RETURNING " + COLUMNS)) {
                    ps.setString(1, type);
                    ps.setString(2, id);
                    ps.setObject(3, parentId);
                    ps.setString(4, author);
                    ps.setString(5, body);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        out = read(rs, Map.of());
                    }
                }
                c.commit();
                return out;
            } finally {
                if (!c.getAutoCommit()) {
                    c.rollback();
                    c.setAutoCommit(true);
                }
            }
        }
    }

    /** The item's comments in posting order (ids after {@code afterId}), at most {@code limit}, with reaction counts. */
    List<Comment> list(String type, String id, long afterId, int limit) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            Map<Long, Map<String, Long>> reactions = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT comment_id, emoji, count(*) FROM comment_reactions WHERE item_type = ? AND item_id = ? AND comment_id > ? GROUP BY comment_id, emoji ORDER BY 1, 2")) {
                ps.setString(1, type);
                ps.setString(2, id);
                ps.setLong(3, afterId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) reactions.computeIfAbsent(rs.getLong(1), k -> new LinkedHashMap<>()).put(rs.getString(2), rs.getLong(3));
                }
            }
            List<Comment> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM comments WHERE item_type = ? AND item_id = ? AND id > ? ORDER BY id LIMIT ?")) {
                ps.setString(1, type);
                ps.setString(2, id);
                ps.setLong(3, afterId);
                ps.setInt(4, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(read(rs, reactions.getOrDefault(rs.getLong(1), Map.of())));
                }
            }
            return out;
        }
    }

    /** Replaces the body; only the author may, and not once deleted. */
    Comment edit(long commentId, String caller, String body) throws SQLException {
        return changeOwn(commentId, caller, "UPDATE comments SET body = ?, edited_at = now() WHERE id = ? RETURNING " + COLUMNS, body);
    }

    /** Soft delete: sets deleted_at and empties the body; only the author may. */
    Comment delete(long commentId, String caller) throws SQLException {
        return changeOwn(commentId, caller, "UPDATE comments SET body = '', deleted_at = now() WHERE id = ? RETURNING " + COLUMNS, null);
    }

    private Comment changeOwn(long commentId, String caller, String update, String body) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("SELECT author, deleted_at IS NOT NULL FROM comments WHERE id = ? FOR UPDATE")) {
                    ps.setLong(1, commentId);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next() || rs.getBoolean(2)) throw Refusal.notFound(commentId);
                        if (!rs.getString(1).equals(caller)) {
                            throw new Refusal(403, ErrorCode.PLUGIN_FORBIDDEN, "only the author of comment " + commentId + " may change it");
                        }
                    }
                }
                Comment out;
                try (PreparedStatement ps = c.prepareStatement(update)) {
                    int i = 1;
                    if (body != null) ps.setString(i++, body);
                    ps.setLong(i, commentId);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        out = read(rs, Map.of());
                    }
                }
                c.commit();
                return out;
            } finally {
                if (!c.getAutoCommit()) {
                    c.rollback();
                    c.setAutoCommit(true);
                }
            }
        }
    }

    /**
     * Adds a reaction; a second identical one is a no-op (primary key + ON CONFLICT DO NOTHING).
     *
     * @return whether a row was added, and the emoji's count on the comment afterwards
     */
    Map<String, Object> react(long commentId, String user, String emoji) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            boolean added;
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO comment_reactions (comment_id, user_id, emoji, item_type, item_id)
                    SELECT id, ?, ?, item_type, item_id FROM comments WHERE id = ? AND deleted_at IS NULL
                    ON CONFLICT (comment_id, user_id, emoji) DO NOTHING""")) {
                ps.setString(1, user);
                ps.setString(2, emoji);
                ps.setLong(3, commentId);
                added = ps.executeUpdate() == 1;
            }
            if (!added) requireLive(c, commentId);
            return reactionState(c, commentId, emoji, "added", added);
        }
    }

    /** Removes the caller's reaction, if any. */
    Map<String, Object> unreact(long commentId, String user, String emoji) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            requireLive(c, commentId);
            boolean removed;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM comment_reactions WHERE comment_id = ? AND user_id = ? AND emoji = ?")) {
                ps.setLong(1, commentId);
                ps.setString(2, user);
                ps.setString(3, emoji);
                removed = ps.executeUpdate() == 1;
            }
            return reactionState(c, commentId, emoji, "removed", removed);
        }
    }

    private static void requireLive(Connection c, long commentId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM comments WHERE id = ? AND deleted_at IS NULL")) {
            ps.setLong(1, commentId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) throw Refusal.notFound(commentId);
            }
        }
    }

    private static Map<String, Object> reactionState(Connection c, long commentId, String emoji, String what, boolean changed) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM comment_reactions WHERE comment_id = ? AND emoji = ?")) {
            ps.setLong(1, commentId);
            ps.setString(2, emoji);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("comment_id", commentId);
                out.put("emoji", emoji);
                out.put(what, changed);
                out.put("count", rs.getLong(1));
                return out;
            }
        }
    }

    private static Comment read(ResultSet rs, Map<String, Long> reactions) throws SQLException {
        long parent = rs.getLong(4);
        Long parentId = rs.wasNull() ? null : parent;
        OffsetDateTime edited = rs.getObject(8, OffsetDateTime.class);
        boolean deleted = rs.getObject(9, OffsetDateTime.class) != null;
        return new Comment(rs.getLong(1), rs.getString(2), rs.getString(3), parentId, rs.getString(5), rs.getString(6),
                rs.getObject(7, OffsetDateTime.class).toInstant().toString(), edited == null ? null : edited.toInstant().toString(), deleted, reactions);
    }
}
