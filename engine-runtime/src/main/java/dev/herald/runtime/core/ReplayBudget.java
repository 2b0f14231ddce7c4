package dev.herald.runtime.core;

import dev.herald.runtime.protocol.Outbound;

/**
 * The memory every topic's broadcast resume window draws on: the kept messages of all topics in one list, oldest
 * first, so that the total (bytes) and the age bound can be applied to the oldest message of any topic, in constant
 * time per message. A topic's own window is a sub-list of it, bounded by that topic's count and bytes.
 *
 * <p>One lock ({@link #lock}) guards the lists and the totals. It is always taken innermost (a topic's publish lock
 * may be held, never the other way round), so no cycle can form. It is taken once per published message and once per
 * resume, never per recipient. Thread-safe.
 */
final class ReplayBudget {
    /** What each kept message costs beyond its bytes: the entry, list links, the message object and its frames. */
    static final int ENTRY_OVERHEAD = 256;

    /** One kept message; linked into its topic's window and into the global list. */
    static final class Entry {
        final TopicLog log;
        final long offset;
        final Outbound message;
        final long atMs;
        final long bytes;
        Entry olderGlobal;
        Entry newerGlobal;
        Entry olderInTopic;
        Entry newerInTopic;

        Entry(TopicLog log, long offset, Outbound message, long atMs, long bytes) {
            this.log = log;
            this.offset = offset;
            this.message = message;
            this.atMs = atMs;
            this.bytes = bytes;
        }
    }

    final Object lock = new Object();
    private final long maxBytes;
    private final long maxAgeMs;
    private Entry oldest;
    private Entry newest;
    private long bytes;
    private long count;

    ReplayBudget(long maxBytes, long maxAgeMs) {
        this.maxBytes = maxBytes;
        this.maxAgeMs = maxAgeMs;
    }

    long maxAgeMs() {
        return maxAgeMs;
    }

    /** Appends a message to its topic's window and to the global list, then applies the global bounds (lock held). */
    void appendLocked(Entry e, long now) {
        e.olderGlobal = newest;
        if (newest != null) newest.newerGlobal = e;
        newest = e;
        if (oldest == null) oldest = e;
        bytes += e.bytes;
        count++;
        e.log.linkLocked(e);
        e.log.trimLocked(now);
        while (bytes > maxBytes && oldest != null) removeLocked(oldest);
    }

    /** Unlinks one entry from both lists (lock held). */
    void removeLocked(Entry e) {
        if (e.olderGlobal != null) e.olderGlobal.newerGlobal = e.newerGlobal;
        else oldest = e.newerGlobal;
        if (e.newerGlobal != null) e.newerGlobal.olderGlobal = e.olderGlobal;
        else newest = e.olderGlobal;
        e.olderGlobal = e.newerGlobal = null;
        bytes -= e.bytes;
        count--;
        e.log.unlinkLocked(e);
    }

    /** Drops every message older than the age bound, of every topic; the engine's timer calls it every second. */
    void sweep(long now) {
        synchronized (lock) {
            while (oldest != null && now - oldest.atMs > maxAgeMs) removeLocked(oldest);
        }
    }

    /** Bytes kept by all topics (estimated retained size). */
    long bytes() {
        synchronized (lock) {
            return bytes;
        }
    }

    /** Messages kept by all topics. */
    long count() {
        synchronized (lock) {
            return count;
        }
    }
}
