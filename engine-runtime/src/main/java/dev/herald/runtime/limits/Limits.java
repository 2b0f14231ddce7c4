package dev.herald.runtime.limits;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The engine's global limit state: current settings (replaceable at runtime), the rolling rates they are checked
 * against, and the number of users (connections with at least one joined channel). Herald is single-tenant, so these
 * are the "tenant" limits of Supabase. Thread-safe; the hot-path operations are lock-free.
 */
public final class Limits {
    private final AtomicReference<LimitSettings> settings;
    private final LongSupplier clockMs;
    private final AtomicInteger users = new AtomicInteger();
    private volatile Rates rates;

    /** The rates of one window size; replaced together when the window changes. */
    private record Rates(long windowMs, RollingRate joins, RollingRate events, RollingRate presenceEvents, RollingRate rest) {
    }

    public Limits(LimitSettings initial, LongSupplier clockMs) {
        this.settings = new AtomicReference<>(initial);
        this.clockMs = clockMs;
        this.rates = newRates(initial.rateWindowMs());
    }

    private Rates newRates(long windowMs) {
        return new Rates(windowMs, new RollingRate(windowMs, 12, clockMs), new RollingRate(windowMs, 12, clockMs),
                new RollingRate(windowMs, 12, clockMs), new RollingRate(windowMs, 12, clockMs));
    }

    public LimitSettings settings() {
        return settings.get();
    }

    /** Replaces the settings; counts restart if the averaging window changed. */
    public void update(LimitSettings next) {
        settings.set(next);
        if (rates.windowMs() != next.rateWindowMs()) rates = newRates(next.rateWindowMs());
    }

    public long nowMs() {
        return clockMs.getAsLong();
    }

    // ---- users ----

    public int users() {
        return users.get();
    }

    /** Whether a new user (a socket's first channel) would exceed the concurrent-users limit. */
    public boolean usersFull() {
        int max = settings.get().maxConcurrentUsers();
        return max > 0 && users.get() >= max;
    }

    public void userJoined() {
        users.incrementAndGet();
    }

    public void userLeft() {
        users.decrementAndGet();
    }

    // ---- rates ----

    /** Counts a join attempt; true when the joins-per-second limit is exceeded. */
    public boolean joinOverLimit() {
        Rates r = rates;
        r.joins().add(1);
        int max = settings.get().maxJoinsPerSecond();
        return max > 0 && r.joins().perSecond() > max;
    }

    /** Whether the joins-per-second average is already at the limit (upgrade refusal). */
    public boolean joinsAtLimit() {
        int max = settings.get().maxJoinsPerSecond();
        return max > 0 && rates.joins().perSecond() >= max;
    }

    /** Counts broadcast events (sent and delivered) towards the events-per-second limit. */
    public void countEvents(long n) {
        rates.events().add(n);
    }

    /** Whether the events-per-second average is over the limit (after {@link #countEvents}). */
    public boolean eventsOverLimit() {
        int max = settings.get().maxEventsPerSecond();
        return max > 0 && rates.events().perSecond() > max;
    }

    /** Whether the events average is at or over the limit already (REST refusal before counting). */
    public boolean eventsAtLimit() {
        int max = settings.get().maxEventsPerSecond();
        return max > 0 && rates.events().perSecond() >= max;
    }

    /** Whether adding {@code n} events would push the average over the limit. */
    public boolean eventsWouldExceed(long n) {
        int max = settings.get().maxEventsPerSecond();
        return max > 0 && rates.events().perSecond() + n * 1000.0 / rates.windowMs() > max;
    }

    public double eventsPerSecond() {
        return rates.events().perSecond();
    }

    /** Counts presence events (tracks and delivered diffs) towards the presence events limit. */
    public void countPresenceEvents(long n) {
        rates.presenceEvents().add(n);
    }

    /** Whether the presence events average is over the limit (after {@link #countPresenceEvents}). */
    public boolean presenceOverLimit() {
        int max = settings.get().maxPresenceEventsPerSecond();
        return max > 0 && rates.presenceEvents().perSecond() > max;
    }

    /** Counts a REST request; true when the REST request rate is exceeded. */
    public boolean restOverLimit() {
        Rates r = rates;
        r.rest().add(1);
        int max = settings.get().restRequestsPerSecond();
        return max > 0 && r.rest().perSecond() > max;
    }

    public double restPerSecond() {
        return rates.rest().perSecond();
    }

    /** A per-channel counter of client presence calls in fixed windows. Not shared between threads. */
    public WindowCounter presenceCallCounter() {
        return new WindowCounter();
    }

    /** Counts calls in consecutive windows of the configured length. Guarded by its owner (the session lock). */
    public final class WindowCounter {
        private long windowStart = -1;
        private int calls;

        /** Counts a call; true when the calls in the current window exceed the limit. */
        public boolean overLimit() {
            LimitSettings s = settings.get();
            long now = clockMs.getAsLong();
            if (windowStart < 0 || now - windowStart >= s.clientPresenceWindowMs()) {
                windowStart = now;
                calls = 0;
            }
            calls++;
            return s.clientPresenceMaxCalls() > 0 && calls > s.clientPresenceMaxCalls();
        }
    }
}
