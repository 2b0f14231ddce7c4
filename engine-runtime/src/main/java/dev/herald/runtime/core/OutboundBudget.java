package dev.herald.runtime.core;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes queued for all connections together. Frames are encoded once and shared by every recipient's queue, so
 * a frame counts once: its size is added when the first queue takes it and subtracted when the last one lets go
 * ({@link dev.herald.runtime.protocol.Frame#retain()}). Per-connection bounds only bound each reader's lag; this
 * bounds their sum. Each update is one atomic add, and only on a frame's first take and last release, never per
 * recipient. Thread-safe.
 */
final class OutboundBudget {
    private final long maxBytes;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean enforcing = new AtomicBoolean();
    private final Runnable enforce;

    /** @param enforce closes the connections furthest behind until the total is below the bound (see Sessions) */
    OutboundBudget(long maxBytes, Runnable enforce) {
        this.maxBytes = maxBytes;
        this.enforce = enforce;
    }

    void add(long delta) {
        bytes.addAndGet(delta);
    }

    long bytes() {
        return bytes.get();
    }

    long maxBytes() {
        return maxBytes;
    }

    boolean over() {
        return bytes.get() > maxBytes;
    }

    /** Runs the enforcement when over the bound, on one thread at a time (the others go on without waiting). */
    void checkAfterOffer() {
        if (bytes.get() <= maxBytes || !enforcing.compareAndSet(false, true)) return;
        try {
            enforce.run();
        } finally {
            enforcing.set(false);
        }
    }
}
