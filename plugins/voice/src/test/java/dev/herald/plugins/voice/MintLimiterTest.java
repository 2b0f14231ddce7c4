package dev.herald.plugins.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Mint rate limits: per user, for everyone, and mints waiting on the upstream at once. */
class MintLimiterTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Test
    void oneUserGetsItsBucketThenWaitsForTheRefill() {
        MintLimiter l = new MintLimiter(3, 100, 100, nanos::get);
        for (int i = 0; i < 3; i++) {
            assertNull(l.acquire("alice"));
            l.finished();
        }
        assertEquals(MintLimiter.Refusal.USER_RATE, l.acquire("alice"));
        assertNull(l.acquire("bob"), "another user is not affected");
        l.finished();
        nanos.addAndGet(20_000_000_000L); // a third of a minute: one token back
        assertNull(l.acquire("alice"));
        l.finished();
        assertEquals(MintLimiter.Refusal.USER_RATE, l.acquire("alice"));
    }

    @Test
    void everyoneTogetherIsBoundedToo() {
        MintLimiter l = new MintLimiter(10, 5, 100, nanos::get);
        for (int i = 0; i < 5; i++) {
            assertNull(l.acquire("user-" + i));
            l.finished();
        }
        assertEquals(MintLimiter.Refusal.GLOBAL_RATE, l.acquire("user-new"));
    }

    @Test
    void onlySoManyMintsWaitAtOnce() {
        MintLimiter l = new MintLimiter(10, 100, 2, nanos::get);
        assertNull(l.acquire("a"));
        assertNull(l.acquire("b"));
        assertEquals(MintLimiter.Refusal.CONCURRENCY, l.acquire("c"));
        l.finished();
        assertNull(l.acquire("c"));
    }
}
