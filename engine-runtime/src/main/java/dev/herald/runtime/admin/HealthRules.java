package dev.herald.runtime.admin;

import dev.herald.runtime.metrics.ChannelStats;
import dev.herald.api.ErrorCode;
import java.util.ArrayList;
import java.util.List;

/**
 * The health of a channel as the admin console shows it (documented in docs/operations.md, "Channel health").
 *
 * <ul>
 *   <li>{@code failing}: in the last minute a limit or a slow reader closed a channel or connection on the topic
 *   ({@link #severe}), or the p99 delivery latency is above {@value #FAILING_P99_MS} ms, or the topic has
 *   postgres_changes subscriptions while change capture is failed or stopped;</li>
 *   <li>{@code degraded}: any other drop in the last minute, a p99 latency above {@value #DEGRADED_P99_MS} ms, a
 *   subscriber queue more than half full, or postgres_changes subscriptions while change capture is starting or
 *   lagging;</li>
 *   <li>{@code ok} otherwise.</li>
 * </ul>
 */
public final class HealthRules {
    public static final double DEGRADED_P99_MS = 250;
    public static final double FAILING_P99_MS = 1_000;

    /** A status with the reasons that decided it (empty when ok). */
    public record Health(String status, List<String> reasons) {
    }

    private HealthRules() {
    }

    /** Drops that end a channel or a connection against the client's will. */
    public static boolean severe(ErrorCode code) {
        return ChannelStats.severe(code);
    }

    /**
     * @param stats the topic's activity (may be null)
     * @param queueFill the fullest subscriber queue as a fraction of its limit (0..1)
     * @param postgresBindings whether any subscriber has postgres_changes bindings on the topic
     * @param cdcState the change-capture state ({@code running}, {@code lagging}, {@code starting}, {@code failed},
     *                 {@code stopped}) or null when change capture is disabled
     */
    public static Health evaluate(ChannelStats stats, double queueFill, boolean postgresBindings, String cdcState) {
        List<String> failing = new ArrayList<>();
        List<String> degraded = new ArrayList<>();
        if (stats != null) {
            long severe = stats.recentSevereDrops();
            long drops = stats.recentDrops();
            if (severe > 0) failing.add(severe + " channel or connection closure(s) by limits or slow readers in the last minute");
            else if (drops > 0) degraded.add(drops + " drop(s) in the last minute");
            double p99 = stats.latencyMs(0.99);
            if (p99 > FAILING_P99_MS) failing.add("p99 delivery latency " + p99 + " ms > " + FAILING_P99_MS + " ms");
            else if (p99 > DEGRADED_P99_MS) degraded.add("p99 delivery latency " + p99 + " ms > " + DEGRADED_P99_MS + " ms");
        }
        if (queueFill > 0.5) degraded.add("a subscriber queue is " + Math.round(queueFill * 100) + "% full");
        if (postgresBindings && cdcState != null) {
            if (cdcState.equals("failed") || cdcState.equals("stopped")) failing.add("change capture is " + cdcState);
            else if (!cdcState.equals("running")) degraded.add("change capture is " + cdcState);
        }
        if (!failing.isEmpty()) {
            failing.addAll(degraded);
            return new Health("failing", failing);
        }
        return degraded.isEmpty() ? new Health("ok", List.of()) : new Health("degraded", degraded);
    }
}
