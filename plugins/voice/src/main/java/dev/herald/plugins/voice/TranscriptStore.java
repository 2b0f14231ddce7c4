package dev.herald.plugins.voice;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Writes completed transcript segments to {@code public.voice_transcripts} on a thread of its own, so a relay never
 * waits for the database between two audio frames. Segments are written in the order they were handed over. When
 * the database falls far behind, new segments are dropped and counted rather than buffered without bound.
 * Thread-safe.
 */
final class TranscriptStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TranscriptStore.class.getName());
    private static final String INSERT =
            "INSERT INTO public.voice_transcripts (user_id, session_id, role, item_id, text) VALUES (?, ?, ?, ?, ?)";
    static final int QUEUE = 10_000;

    /** Who said it. */
    enum Role { user, assistant }

    private final DataSource dataSource;
    private final ExecutorService writer;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    TranscriptStore(DataSource dataSource) {
        this.dataSource = dataSource;
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "voice-transcripts");
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues one segment; returns at once. Blank text is ignored. */
    void save(String userId, String sessionId, Role role, String itemId, String text) {
        if (text == null || text.isBlank()) return;
        try {
            writer.execute(() -> insert(userId, sessionId, role, itemId, text));
        } catch (RejectedExecutionException full) {
            if (dropped.incrementAndGet() % 100 == 1) {
                LOG.warning("voice: transcript queue full or closed; " + dropped.get() + " segment(s) dropped so far");
            }
        }
    }

    private void insert(String userId, String sessionId, Role role, String itemId, String text) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, userId);
            ps.setString(2, sessionId);
            ps.setString(3, role.name());
            ps.setString(4, itemId);
            ps.setString(5, text);
            ps.executeUpdate();
            if (!c.getAutoCommit()) c.commit();
            written.incrementAndGet();
        } catch (SQLException | RuntimeException e) {
            dropped.incrementAndGet();
            LOG.log(Level.WARNING, "voice: saving a transcript segment failed: " + e.getMessage());
        }
    }

    long written() {
        return written.get();
    }

    long dropped() {
        return dropped.get();
    }

    /** Writes what is queued (bounded by {@code waitMs}), then stops. */
    void close(long waitMs) {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(waitMs, TimeUnit.MILLISECONDS)) writer.shutdownNow();
        } catch (InterruptedException e) {
            writer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(2000);
    }
}
