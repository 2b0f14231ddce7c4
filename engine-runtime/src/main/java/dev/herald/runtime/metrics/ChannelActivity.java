package dev.herald.runtime.metrics;

import dev.herald.api.ErrorCode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The {@link ChannelStats} of every topic that had activity recently. Topics nobody is subscribed to are forgotten
 * after {@link #FORGET_AFTER_MS} without activity: on each admin listing ({@link #forgetIdle}) and, so that topics
 * published to once (REST broadcasts to ever new names) cannot pile up, at most once a minute when a new topic
 * appears. Thread-safe.
 */
public final class ChannelActivity<K> {
    public static final long FORGET_AFTER_MS = 5 * 60_000;

    private final ConcurrentHashMap<K, ChannelStats> topics = new ConcurrentHashMap<>();
    private static final long SWEEP_EVERY_MS = 60_000;

    private final LongSupplier clockMs;
    private final Predicate<K> subscribed;
    private final AtomicLong lastSweepMs = new AtomicLong();

    public ChannelActivity(LongSupplier clockMs) {
        this(clockMs, k -> false);
    }

    /** @param subscribed whether a topic has subscribers (those are never forgotten) */
    public ChannelActivity(LongSupplier clockMs, Predicate<K> subscribed) {
        this.clockMs = clockMs;
        this.subscribed = subscribed;
        this.lastSweepMs.set(clockMs.getAsLong());
    }

    public ChannelStats of(K key) {
        ChannelStats s = topics.get(key);
        if (s != null) return s;
        long now = clockMs.getAsLong();
        long last = lastSweepMs.get();
        if (now - last > SWEEP_EVERY_MS && lastSweepMs.compareAndSet(last, now)) {
            topics.entrySet().removeIf(e -> now - e.getValue().lastActivityMs() > FORGET_AFTER_MS && !subscribed.test(e.getKey()));
        }
        return topics.computeIfAbsent(key, k -> new ChannelStats(clockMs));
    }

    /** The stats of a topic, or null when it has none. */
    public ChannelStats peek(K key) {
        return topics.get(key);
    }

    public void published(K key, int handedOut) {
        ChannelStats s = of(key);
        s.published();
        s.handedOut(handedOut);
    }

    public void drop(K key, ErrorCode reason) {
        of(key).drop(reason);
    }

    public Map<K, ChannelStats> snapshot() {
        return Map.copyOf(topics);
    }

    /** The most records of topics nobody subscribes to that are kept (about 1.4 KB each); the idlest go first. */
    public static final int MAX_UNSUBSCRIBED = 4096;

    /**
     * The engine's periodic sweep: forgets unsubscribed topics idle for longer than {@link #FORGET_AFTER_MS}, and
     * beyond {@link #MAX_UNSUBSCRIBED} of them the idlest, so that ever new topic names cannot pile up.
     */
    public void sweep() {
        long now = clockMs.getAsLong();
        lastSweepMs.set(now);
        topics.entrySet().removeIf(e -> now - e.getValue().lastActivityMs() > FORGET_AFTER_MS && !subscribed.test(e.getKey()));
        if (topics.size() <= MAX_UNSUBSCRIBED) return;
        List<Map.Entry<K, ChannelStats>> idle = new ArrayList<>();
        for (Map.Entry<K, ChannelStats> e : topics.entrySet()) if (!subscribed.test(e.getKey())) idle.add(e);
        if (idle.size() <= MAX_UNSUBSCRIBED) return;
        idle.sort(Comparator.comparingLong(e -> e.getValue().lastActivityMs()));
        for (int i = 0; i < idle.size() - MAX_UNSUBSCRIBED; i++) topics.remove(idle.get(i).getKey(), idle.get(i).getValue());
    }

    /**
     * Counts a drop on a topic only when it already has a record: a refusal (an unauthorised join of any name) must
     * not create console state.
     */
    public void dropIfKnown(K key, ErrorCode reason) {
        ChannelStats s = topics.get(key);
        if (s != null) s.drop(reason);
    }

    /** Forgets topics idle for longer than {@link #FORGET_AFTER_MS} that {@code active} does not hold. */
    public void forgetIdle(Set<K> active) {
        long now = clockMs.getAsLong();
        topics.entrySet().removeIf(e -> !active.contains(e.getKey()) && now - e.getValue().lastActivityMs() > FORGET_AFTER_MS);
    }
}
