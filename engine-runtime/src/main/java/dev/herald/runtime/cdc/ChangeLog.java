package dev.herald.runtime.cdc;

import java.util.ArrayDeque;

/**
 * The recent changes kept for postgres_changes resume, oldest first, bounded by count, bytes (each change at its
 * estimated decoded size plus {@link #ENTRY_OVERHEAD}) and age. Row images can be huge (TOASTed values), so a
 * count alone does not bound memory. Not thread-safe: the {@link ChangeDispatcher} guards it with its lock.
 */
final class ChangeLog {
    /** What a kept change costs beyond its row data: the event, its maps and the list slot. */
    static final int ENTRY_OVERHEAD = 256;

    /** A change kept for resume, with the table shape it was decoded with. */
    record Logged(TableInfo table, ChangeEvent event, long atMs, long bytes) {
    }

    private final ArrayDeque<Logged> entries = new ArrayDeque<>();
    private final int maxMessages;
    private final long maxBytes;
    private final long maxAgeMs;
    private long bytes;
    /** The newest change dropped from the log: the log is complete for every position from here on. */
    private ChangeEvent.StreamPosition evictedUpTo;

    ChangeLog(int maxMessages, long maxBytes, long maxAgeMs) {
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.maxAgeMs = maxAgeMs;
    }

    void add(TableInfo table, ChangeEvent e, long now) {
        long cost = (long) Math.max(0, e.approximateBytes()) + ENTRY_OVERHEAD;
        entries.addLast(new Logged(table, e, now, cost));
        bytes += cost;
        while (!entries.isEmpty() && (entries.size() > maxMessages || bytes > maxBytes)) evict();
        trimAge(now);
    }

    /** Drops the changes older than the age bound; called on every use and by the service's housekeeping timer. */
    void trimAge(long now) {
        while (!entries.isEmpty() && now - entries.peekFirst().atMs() > maxAgeMs) evict();
    }

    private void evict() {
        Logged l = entries.pollFirst();
        bytes -= l.bytes();
        evictedUpTo = l.event().position();
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The position of the oldest kept change; the log must not be empty. */
    ChangeEvent.StreamPosition oldestPosition() {
        return entries.peekFirst().event().position();
    }

    ChangeEvent.StreamPosition evictedUpTo() {
        return evictedUpTo;
    }

    Iterable<Logged> entries() {
        return entries;
    }

    long bytes() {
        return bytes;
    }
}
