package dev.herald.plugins.voice;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The outcomes of the plugin's calls to the upstream service (client-secret mints, relay connections), kept so the
 * admin console can tell a failing upstream without calling it. The upstream counts as failing when the last
 * {@value #FAILING_AFTER} calls all failed and the latest of them is less than {@link #RECENT_NANOS} old: one
 * transient error is not worth an alarm, and an old streak says nothing about now when no call was made since.
 *
 * <p>Thread-safe: relays and REST requests report from the HTTP client's and the container's threads; each method
 * holds the monitor for a few field reads or writes only, so {@link #failing()} never waits on I/O.
 */
final class UpstreamHealth {
    static final int FAILING_AFTER = 3;
    static final long RECENT_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final LongSupplier nanos;
    private long failures;
    private int inARow;
    private String lastWhy;
    private long lastFailedAt;

    UpstreamHealth(LongSupplier nanos) {
        this.nanos = nanos;
    }

    /** A call the upstream answered as asked. */
    synchronized void succeeded() {
        inARow = 0;
    }

    /**
     * A call that failed.
     *
     * @param why what went wrong, safe to show an operator (a status code or a kind, never the upstream's text)
     */
    synchronized void failed(String why) {
        failures++;
        inARow++;
        lastWhy = why;
        lastFailedAt = nanos.getAsLong();
    }

    /** Failed calls since the plugin started. */
    synchronized long failures() {
        return failures;
    }

    /** One line on why the upstream looks down now, or null when recent calls work (or none was made lately). */
    synchronized String failing() {
        if (inARow < FAILING_AFTER) return null;
        long ago = nanos.getAsLong() - lastFailedAt;
        if (ago > RECENT_NANOS) return null;
        return "upstream failing: " + inARow + " calls in a row, the last " + TimeUnit.NANOSECONDS.toSeconds(ago) + " s ago: " + lastWhy;
    }
}
