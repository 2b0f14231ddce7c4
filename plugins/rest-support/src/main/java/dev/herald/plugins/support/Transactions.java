package dev.herald.plugins.support;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * One database transaction per call: the work runs on a pooled connection with auto-commit off and is committed when
 * it returns (also on an early return), rolled back when it throws (a refusal thrown mid-way changes nothing).
 */
public final class Transactions {
    private Transactions() {
    }

    /** The work of one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    public static <T> T run(DataSource dataSource, Work<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            boolean done = false;
            try {
                T result = work.run(c);
                c.commit();
                done = true;
                return result;
            } finally {
                if (!done) rollbackQuietly(c);
                c.setAutoCommit(true);
            }
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the pool discards it
        }
    }
}
