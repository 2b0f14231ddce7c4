package dev.herald.runtime.admin;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Slows down guessing of the admin password, per client address and over all addresses. Every credentialed attempt
 * from an address takes a turn: the first {@link #FREE_PER_ADDRESS} failures of an address (and the first
 * {@link #FREE_GLOBAL} over all addresses) are answered at once; after that each further attempt is answered no
 * earlier than {@code step × k} (k = failures beyond the free ones, capped at {@code max}) after the previous turn,
 * so concurrent attempts queue instead of running in parallel. A success clears its address. Failures are forgotten
 * after {@link #WINDOW_MS} without one. At most {@link #MAX_ADDRESSES} addresses are remembered. Thread-safe.
 */
public final class LoginThrottle {
    public static final int FREE_PER_ADDRESS = 5;
    public static final int FREE_GLOBAL = 100;
    public static final long WINDOW_MS = 15 * 60_000;
    static final int MAX_ADDRESSES = 10_000;

    private static final class Turns {
        int failures;
        long next;
        long lastMs;
    }

    private final long stepMs;
    private final long maxMs;
    private final LongSupplier clock;
    private final Map<String, Turns> byAddress = new HashMap<>();
    private final Turns global = new Turns();

    /** @param stepMs delay growth per failure; 0 turns throttling off */
    public LoginThrottle(long stepMs, long maxMs, LongSupplier clock) {
        this.stepMs = stepMs;
        this.maxMs = maxMs;
        this.clock = clock;
    }

    /**
     * Reserves the turn of an attempt from {@code address} (counted as a failure until {@link #succeeded}).
     *
     * @return when the attempt may be checked and answered (epoch milliseconds; now or later)
     */
    public synchronized long reserve(String address) {
        long now = clock.getAsLong();
        if (stepMs == 0) return now;
        Turns a = turns(address, now);
        if (now - global.lastMs > WINDOW_MS) global.failures = 0;
        long at = now;
        long da = delay(a.failures, FREE_PER_ADDRESS);
        if (da > 0) at = Math.max(at, Math.max(now, a.next) + da);
        long dg = delay(global.failures, FREE_GLOBAL);
        if (dg > 0) at = Math.max(at, Math.max(now, global.next) + dg);
        a.next = Math.max(a.next, at);
        global.next = Math.max(global.next, at);
        a.failures++;
        global.failures++;
        a.lastMs = now;
        global.lastMs = now;
        return at;
    }

    /** How long the next attempt from {@code address} would wait now (0 = none), without reserving a turn. */
    public synchronized long waitMs(String address) {
        long now = clock.getAsLong();
        if (stepMs == 0) return 0;
        Turns a = byAddress.get(address);
        long w = 0;
        // The next attempt's turn: the last one's plus the delay it would add.
        if (a != null && now - a.lastMs <= WINDOW_MS) w = Math.max(w, a.next + delay(a.failures, FREE_PER_ADDRESS) - now);
        if (now - global.lastMs <= WINDOW_MS) w = Math.max(w, global.next + delay(global.failures, FREE_GLOBAL) - now);
        return Math.max(0, w);
    }

    /** The reserved attempt succeeded: its address starts afresh and it does not count overall. */
    public synchronized void succeeded(String address) {
        Turns a = byAddress.remove(address);
        if (a != null || global.failures > 0) global.failures = Math.max(0, global.failures - 1);
    }

    private long delay(int failures, int free) {
        if (failures < free) return 0;
        return Math.min(maxMs, stepMs * (failures - free + 1));
    }

    private Turns turns(String address, long now) {
        Turns a = byAddress.get(address);
        if (a != null && now - a.lastMs > WINDOW_MS) a.failures = 0;
        if (a == null) {
            if (byAddress.size() >= MAX_ADDRESSES) {
                byAddress.values().removeIf(t -> now - t.lastMs > WINDOW_MS || (t.failures < FREE_PER_ADDRESS && t.next <= now));
                // Still full (a flood of addresses): the global turns alone hold the line.
                if (byAddress.size() >= MAX_ADDRESSES) byAddress.clear();
            }
            a = new Turns();
            byAddress.put(address, a);
        }
        return a;
    }
}
