package dev.herald.plugins.voice;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Rate limits on minting client secrets, each a paid upstream call: a token bucket per user and one for all users
 * (capacity = the per-minute figure, refilled evenly over the minute), plus a cap on mints waiting on the upstream at
 * once. The per-user buckets of idle users are dropped once full again, so the map holds only recent minters.
 * Thread-safe.
 */
final class MintLimiter {
    /** Why a mint was refused, or null when it may go ahead. */
    enum Refusal { USER_RATE, GLOBAL_RATE, CONCURRENCY }

    private static final class Bucket {
        double tokens;
        long atNanos;

        Bucket(double tokens, long atNanos) {
            this.tokens = tokens;
            this.atNanos = atNanos;
        }
    }

    private final int perUser;
    private final int global;
    private final int maxConcurrent;
    private final LongSupplier nanos;
    private final Map<String, Bucket> users = new HashMap<>();
    private final Bucket all;
    private int inFlight;

    MintLimiter(int perUserPerMinute, int globalPerMinute, int maxConcurrent, LongSupplier nanos) {
        this.perUser = perUserPerMinute;
        this.global = globalPerMinute;
        this.maxConcurrent = maxConcurrent;
        this.nanos = nanos;
        this.all = new Bucket(globalPerMinute, nanos.getAsLong());
    }

    /** Takes a mint for {@code user}, or says why not; a taken mint must be {@link #finished()}. */
    synchronized Refusal acquire(String user) {
        long now = nanos.getAsLong();
        if (inFlight >= maxConcurrent) return Refusal.CONCURRENCY;
        refill(all, global, now);
        if (users.size() > 10_000) users.values().removeIf(b -> refill(b, perUser, now) >= perUser);
        Bucket mine = users.computeIfAbsent(user, u -> new Bucket(perUser, now));
        refill(mine, perUser, now);
        if (mine.tokens < 1) return Refusal.USER_RATE;
        if (all.tokens < 1) return Refusal.GLOBAL_RATE;
        mine.tokens--;
        all.tokens--;
        inFlight++;
        return null;
    }

    synchronized void finished() {
        inFlight--;
    }

    private static double refill(Bucket b, int perMinute, long now) {
        double add = (now - b.atNanos) / 60e9 * perMinute;
        b.tokens = Math.min(perMinute, b.tokens + add);
        b.atNanos = now;
        return b.tokens;
    }
}
