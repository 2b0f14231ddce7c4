package dev.herald.runtime.admin;

import dev.herald.api.ErrorCode;
import dev.herald.runtime.core.TopicKey;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The {@link ChannelStats} of every topic that had activity recently. Topics nobody is subscribed to are forgotten
 * after {@link #FORGET_AFTER_MS} without activity (see {@link #forgetIdle}). Thread-safe.
 */
public final class ChannelActivity {
    public static final long FORGET_AFTER_MS = 5 * 60_000;

    private final ConcurrentHashMap<TopicKey, ChannelStats> topics = new ConcurrentHashMap<>();
    private final LongSupplier clockMs;

    public ChannelActivity() {
        this(System::currentTimeMillis);
    }

    public ChannelActivity(LongSupplier clockMs) {
        this.clockMs = clockMs;
    }

    public ChannelStats of(TopicKey key) {
        ChannelStats s = topics.get(key);
        return s != null ? s : topics.computeIfAbsent(key, k -> new ChannelStats(clockMs));
    }

    /** The stats of a topic, or null when it has none. */
    public ChannelStats peek(TopicKey key) {
        return topics.get(key);
    }

    public void published(TopicKey key, int handedOut) {
        ChannelStats s = of(key);
        s.published();
        s.handedOut(handedOut);
    }

    public void drop(TopicKey key, ErrorCode reason) {
        of(key).drop(reason);
    }

    public Map<TopicKey, ChannelStats> snapshot() {
        return Map.copyOf(topics);
    }

    /** Forgets topics idle for longer than {@link #FORGET_AFTER_MS} that {@code active} does not hold. */
    public void forgetIdle(java.util.Set<TopicKey> active) {
        long now = clockMs.getAsLong();
        topics.entrySet().removeIf(e -> !active.contains(e.getKey()) && now - e.getValue().lastActivityMs() > FORGET_AFTER_MS);
    }
}
