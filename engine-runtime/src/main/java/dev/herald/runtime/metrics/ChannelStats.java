package dev.herald.runtime.metrics;

import dev.herald.api.ErrorCode;
import dev.herald.runtime.limits.RollingRate;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Activity of one topic for the admin API: message rates in and out, delivery latency, drops by reason and the time
 * of the last activity. Per-topic detail lives here rather than in Prometheus labels, whose cardinality must stay
 * low. Every update is a few atomic operations, safe on the fan-out path. Thread-safe.
 */
public final class ChannelStats {
    /** Rates are averaged over this window, short enough for a live chart. */
    static final long RATE_WINDOW_MS = 5_000;
    /** Drops within this window count towards the health status. */
    static final long RECENT_DROPS_WINDOW_MS = 60_000;
    /** Drops that end a channel or a connection against the client's will; they count towards a failing status. */
    private static final Set<ErrorCode> SEVERE = EnumSet.of(ErrorCode.EVENTS_RATE_LIMIT, ErrorCode.PRESENCE_EVENTS_RATE_LIMIT,
            ErrorCode.CLIENT_PRESENCE_RATE_LIMIT, ErrorCode.SLOW_CONSUMER, ErrorCode.POSTGRES_BINDING_FAILED);
    /** Latency buckets: upper bounds in microseconds, doubling from 50 µs to ~26 s; the last one is open. */
    private static final long[] BOUNDS_US = new long[20];

    static {
        long b = 50;
        for (int i = 0; i < BOUNDS_US.length; i++) {
            BOUNDS_US[i] = b;
            b *= 2;
        }
    }

    private final LongSupplier clockMs;
    private final RollingRate in;
    private final RollingRate out;
    private final RollingRate recentDrops;
    private final RollingRate recentSevereDrops;
    private final LongAdder totalIn = new LongAdder();
    private final LongAdder totalOut = new LongAdder();
    private final Map<ErrorCode, LongAdder> drops = new ConcurrentHashMap<>();
    private final AtomicLong lastActivityMs = new AtomicLong();
    /** Two latency histograms: the one being filled and the previous period's, so a read always sees a full window. */
    private final AtomicLongArray[] latency = {new AtomicLongArray(BOUNDS_US.length + 1), new AtomicLongArray(BOUNDS_US.length + 1)};
    private final AtomicLong latencyPeriod = new AtomicLong(-1);
    private static final long LATENCY_PERIOD_MS = 10_000;

    ChannelStats(LongSupplier clockMs) {
        this.clockMs = clockMs;
        this.in = new RollingRate(RATE_WINDOW_MS, 5, clockMs);
        this.out = new RollingRate(RATE_WINDOW_MS, 5, clockMs);
        this.recentDrops = new RollingRate(RECENT_DROPS_WINDOW_MS, 12, clockMs);
        this.recentSevereDrops = new RollingRate(RECENT_DROPS_WINDOW_MS, 12, clockMs);
        lastActivityMs.set(clockMs.getAsLong());
    }

    /** A message published on the topic (broadcast, presence diff or row change). */
    public void published() {
        in.add(1);
        totalIn.increment();
        touch();
    }

    /** A message handed to {@code n} subscribers' queues. */
    public void handedOut(int n) {
        if (n <= 0) return;
        out.add(n);
        totalOut.add(n);
    }

    /** A message reached one subscriber's socket {@code nanos} after it was encoded (its fan-out began). */
    public void delivered(long nanos) {
        long us = nanos / 1_000;
        int i = 0;
        while (i < BOUNDS_US.length && us > BOUNDS_US[i]) i++;
        current().incrementAndGet(i);
    }

    public void drop(ErrorCode reason) {
        drops.computeIfAbsent(reason, r -> new LongAdder()).increment();
        recentDrops.add(1);
        if (severe(reason)) recentSevereDrops.add(1);
        touch();
    }

    /** Whether a drop for {@code code} ended a channel or a connection against the client's will. */
    public static boolean severe(ErrorCode code) {
        return SEVERE.contains(code);
    }

    void touch() {
        lastActivityMs.set(clockMs.getAsLong());
    }

    private AtomicLongArray current() {
        long period = clockMs.getAsLong() / LATENCY_PERIOD_MS;
        long seen = latencyPeriod.get();
        if (seen != period && latencyPeriod.compareAndSet(seen, period)) {
            // Older than one period: the previous histogram is stale too.
            if (seen != period - 1) clear(latency[(int) ((period - 1) & 1)]);
            clear(latency[(int) (period & 1)]);
        }
        return latency[(int) (period & 1)];
    }

    private static void clear(AtomicLongArray a) {
        for (int i = 0; i < a.length(); i++) a.set(i, 0);
    }

    public double inPerSecond() { return in.perSecond(); }
    public double outPerSecond() { return out.perSecond(); }
    public long totalIn() { return totalIn.sum(); }
    public long totalOut() { return totalOut.sum(); }
    public long lastActivityMs() { return lastActivityMs.get(); }
    /** Drops in the last minute, and of them the ones that closed a channel or connection. */
    public long recentDrops() { return Math.round(recentDrops.perSecond() * RECENT_DROPS_WINDOW_MS / 1000.0); }
    public long recentSevereDrops() { return Math.round(recentSevereDrops.perSecond() * RECENT_DROPS_WINDOW_MS / 1000.0); }

    public Map<ErrorCode, Long> drops() {
        Map<ErrorCode, Long> m = new EnumMap<>(ErrorCode.class);
        drops.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** Delivery latency quantile in milliseconds over the last 10-20 s (bucket upper bound), or -1 without samples. */
    public double latencyMs(double quantile) {
        current();
        long period = latencyPeriod.get();
        long[] counts = new long[BOUNDS_US.length + 1];
        long total = 0;
        for (AtomicLongArray a : new AtomicLongArray[] {latency[(int) (period & 1)], latency[(int) ((period - 1) & 1)]}) {
            for (int i = 0; i < counts.length; i++) {
                counts[i] += a.get(i);
                total += a.get(i);
            }
        }
        if (total == 0) return -1;
        long rank = (long) Math.ceil(quantile * total);
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) return (i < BOUNDS_US.length ? BOUNDS_US[i] : BOUNDS_US[BOUNDS_US.length - 1] * 2) / 1000.0;
        }
        return BOUNDS_US[BOUNDS_US.length - 1] * 2 / 1000.0;
    }
}
