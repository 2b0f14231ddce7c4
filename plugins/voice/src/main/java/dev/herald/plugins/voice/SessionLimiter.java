package dev.herald.plugins.voice;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** Counts open relay sessions per user and refuses one over the limit. Thread-safe. */
final class SessionLimiter {
    private final int perUser;
    private final ConcurrentMap<String, Integer> open = new ConcurrentHashMap<>();

    SessionLimiter(int perUser) {
        this.perUser = perUser;
    }

    /** Takes a slot for {@code user}; false (and nothing taken) when the user already holds the maximum. */
    boolean tryAcquire(String user) {
        boolean[] taken = {false};
        open.compute(user, (u, n) -> {
            int current = n == null ? 0 : n;
            if (current >= perUser) return n;
            taken[0] = true;
            return current + 1;
        });
        return taken[0];
    }

    /** Gives back a slot taken with {@link #tryAcquire}. */
    void release(String user) {
        open.computeIfPresent(user, (u, n) -> n <= 1 ? null : n - 1);
    }

    /** Sessions {@code user} holds now. */
    int open(String user) {
        return open.getOrDefault(user, 0);
    }

    int perUser() {
        return perUser;
    }
}
