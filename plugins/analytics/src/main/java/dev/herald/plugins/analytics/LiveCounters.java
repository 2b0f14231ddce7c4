package dev.herald.plugins.analytics;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Every count the analytics plugin keeps, in memory: totals per event type since the plugin started, the users seen
 * within the active window, and the per-minute counts not yet flushed to {@code analytics_rollups}. Recording touches
 * no database. Thread-safe: REST requests and usage recorders call {@link #record} concurrently with the publisher
 * and the flusher.
 */
final class LiveCounters {
    /** Live metric name → the event type it counts. */
    static final Map<String, String> METRICS = orderedMetrics();

    /**
     * A per-minute count key.
     *
     * @param minute the minute (UTC, truncated)
     * @param metric the event type
     */
    record RollupKey(Instant minute, String metric) {
    }

    private final Instant since;
    private final Duration activeWindow;
    private final ConcurrentHashMap<String, LongAdder> byType = new ConcurrentHashMap<>();
    private final DoubleAdder voiceSeconds = new DoubleAdder();
    private final ConcurrentHashMap<String, Long> lastSeen = new ConcurrentHashMap<>();
    private final AtomicBoolean dirty = new AtomicBoolean();
    // Recorders share the read side (they only add to the current map); the flusher takes the write side just long
    // enough to swap the map, so no increment lands in a map that is already being written out.
    private final ReadWriteLock pendingLock = new ReentrantReadWriteLock();
    private ConcurrentHashMap<RollupKey, LongAdder> pending = new ConcurrentHashMap<>();

    LiveCounters(Instant since, Duration activeWindow) {
        this.since = since;
        this.activeWindow = activeWindow;
    }

    private static Map<String, String> orderedMetrics() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("page_views", EventTypes.PAGE_VIEW);
        m.put("user_actions", EventTypes.USER_ACTION);
        m.put("challenge_views", EventTypes.CHALLENGE_VIEW);
        m.put("new_submissions", EventTypes.SUBMISSION_CREATED);
        return Collections.unmodifiableMap(m);
    }

    Duration activeWindow() {
        return activeWindow;
    }

    /** When counting began (the plugin's start). */
    Instant since() {
        return since;
    }

    /** Events of every type counted since {@link #since()}. */
    long total() {
        long n = 0;
        for (LongAdder a : byType.values()) n += a.sum();
        return n;
    }

    /**
     * Counts stored events.
     *
     * @param events events already written (or buffered for writing)
     * @param receivedAtMillis when they arrived; the active-user window is measured from here
     */
    void record(List<Event> events, long receivedAtMillis) {
        pendingLock.readLock().lock();
        try {
            ConcurrentHashMap<RollupKey, LongAdder> into = pending;
            for (Event e : events) {
                into.computeIfAbsent(new RollupKey(e.occurredAt().truncatedTo(ChronoUnit.MINUTES), e.type()), k -> new LongAdder()).increment();
            }
        } finally {
            pendingLock.readLock().unlock();
        }
        for (Event e : events) {
            byType.computeIfAbsent(e.type(), k -> new LongAdder()).increment();
            if (EventTypes.VOICE_SESSION.equals(e.type())) voiceSeconds.add(e.seconds());
            if (e.userId() != null) lastSeen.merge(e.userId(), receivedAtMillis, Math::max);
        }
        dirty.set(true);
    }

    /** Whether anything was recorded since the last call; clears the flag. */
    boolean takeDirty() {
        return dirty.getAndSet(false);
    }

    /** Sets the flag again (a change that could not be published yet). */
    void markDirty() {
        dirty.set(true);
    }

    /** Distinct user ids whose last event arrived within the active window before {@code nowMillis}. */
    int activeUsers(long nowMillis) {
        long from = nowMillis - activeWindow.toMillis();
        int n = 0;
        for (long seen : lastSeen.values()) if (seen > from) n++;
        return n;
    }

    /** Forgets users that left the active window (bounds the memory to the users of one window). */
    void prune(long nowMillis) {
        long from = nowMillis - activeWindow.toMillis();
        lastSeen.values().removeIf(seen -> seen <= from);
    }

    long count(String type) {
        LongAdder a = byType.get(type);
        return a == null ? 0 : a.sum();
    }

    /** The live metrics at {@code nowMillis}, as published and served. */
    Map<String, Object> snapshot(long nowMillis, long updates) {
        Map<String, Object> s = new LinkedHashMap<>();
        METRICS.forEach((metric, type) -> s.put(metric, count(type)));
        s.put("active_users", activeUsers(nowMillis));
        s.put("active_window_seconds", activeWindow.toSeconds());
        s.put("voice_sessions", count(EventTypes.VOICE_SESSION));
        s.put("voice_seconds", Math.round(voiceSeconds.sum() * 1000) / 1000.0);
        Map<String, Long> types = new TreeMap<>();
        byType.forEach((t, a) -> types.put(t, a.sum()));
        s.put("events_total", types.values().stream().mapToLong(Long::longValue).sum());
        s.put("by_type", types);
        s.put("since", since.toString());
        s.put("at", Instant.ofEpochMilli(nowMillis).toString());
        s.put("updates", updates);
        return s;
    }

    /** Takes every per-minute count not yet flushed; the caller writes them or hands them back with {@link #restore}. */
    Map<RollupKey, Long> drainRollups() {
        ConcurrentHashMap<RollupKey, LongAdder> taken;
        pendingLock.writeLock().lock();
        try {
            taken = pending;
            pending = new ConcurrentHashMap<>();
        } finally {
            pendingLock.writeLock().unlock();
        }
        Map<RollupKey, Long> out = new HashMap<>();
        taken.forEach((k, a) -> {
            long n = a.sum();
            if (n != 0) out.put(k, n);
        });
        return out;
    }

    /** Puts back counts whose flush failed, so the next flush writes them. */
    void restore(Map<RollupKey, Long> counts) {
        pendingLock.readLock().lock();
        try {
            counts.forEach((k, n) -> pending.computeIfAbsent(k, x -> new LongAdder()).add(n));
        } finally {
            pendingLock.readLock().unlock();
        }
    }

    /** Whether per-minute counts wait for a flush. */
    boolean hasPending() {
        pendingLock.readLock().lock();
        try {
            return !pending.isEmpty();
        } finally {
            pendingLock.readLock().unlock();
        }
    }
}
