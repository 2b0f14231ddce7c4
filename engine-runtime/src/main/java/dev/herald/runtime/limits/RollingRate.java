package dev.herald.runtime.limits;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * An events-per-second average over a sliding window of fixed buckets (Supabase uses 12 buckets of 5 s). Adding is
 * two atomic operations and never locks, so it is safe on the hot path; reading sums the buckets. An add racing
 * with the reset of a bucket at a period boundary may be lost: the rate is an estimate, which is all a limit needs.
 * Thread-safe.
 */
public final class RollingRate {
    private final int buckets;
    private final long bucketMs;
    private final long windowMs;
    private final AtomicLongArray counts;
    private final AtomicLongArray epochs;
    private final LongSupplier clockMs;

    public RollingRate(long windowMs, int buckets, LongSupplier clockMs) {
        this.buckets = buckets;
        this.bucketMs = Math.max(1, windowMs / buckets);
        this.windowMs = windowMs;
        this.counts = new AtomicLongArray(buckets);
        this.epochs = new AtomicLongArray(buckets);
        this.clockMs = clockMs;
    }

    public void add(long n) {
        long epoch = clockMs.getAsLong() / bucketMs;
        int i = (int) (epoch % buckets);
        long seen = epochs.get(i);
        if (seen != epoch && epochs.compareAndSet(i, seen, epoch)) {
            // First writer of a new bucket period clears what the slot counted a full window ago.
            counts.set(i, 0);
        }
        counts.addAndGet(i, n);
    }

    /** Average events per second over the window. */
    public double perSecond() {
        long epoch = clockMs.getAsLong() / bucketMs;
        long sum = 0;
        for (int i = 0; i < buckets; i++) {
            long e = epochs.get(i);
            if (e > epoch - buckets && e <= epoch) sum += counts.get(i);
        }
        return sum * 1000.0 / windowMs;
    }
}
