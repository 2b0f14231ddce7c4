package dev.herald.plugins.analytics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.plugin.UsageSink;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link UsageSink} the analytics plugin publishes for other plugins (e.g. the voice plugin's
 * {@code voice_session} with {@code seconds} and {@code audio_bytes}). Each event is counted at once, like an ingested
 * one, and queued for the next periodic write to {@code analytics_events}; the caller never waits for the database.
 * When {@code maxQueued} events wait already (the database is down for long), further events are dropped and counted in
 * {@link #dropped()}. Thread-safe and non-blocking.
 */
final class UsageRecorder implements UsageSink {
    private final LiveCounters counters;
    private final ObjectMapper json;
    private final Clock clock;
    private final int maxQueued;
    private final ConcurrentLinkedQueue<Event> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();

    UsageRecorder(LiveCounters counters, ObjectMapper json, Clock clock, int maxQueued) {
        this.counters = counters;
        this.json = json;
        this.clock = clock;
        this.maxQueued = maxQueued;
    }

    @Override
    public void record(String eventType, String userId, Map<String, Object> properties) {
        if (eventType == null || !EventTypes.NAME.matcher(eventType).matches()) {
            dropped.increment();
            return;
        }
        String props;
        try {
            props = properties == null ? "{}" : json.writeValueAsString(properties);
        } catch (JsonProcessingException e) {
            dropped.increment();
            return;
        }
        double seconds = properties != null && properties.get("seconds") instanceof Number n && n.doubleValue() >= 0 ? n.doubleValue() : 0;
        if (queued.incrementAndGet() > maxQueued) {
            queued.decrementAndGet();
            dropped.increment();
            return;
        }
        long now = clock.millis();
        Event e = new Event(eventType, userId, Instant.ofEpochMilli(now), props, seconds);
        queue.add(e);
        counters.record(List.of(e), now);
    }

    /** Takes the queued events for writing. */
    List<Event> drain() {
        List<Event> out = new ArrayList<>();
        for (Event e; (e = queue.poll()) != null; ) {
            queued.decrementAndGet();
            out.add(e);
        }
        return out;
    }

    /** Puts events back whose write failed (they stay counted). */
    void requeue(List<Event> events) {
        for (Event e : events) {
            queued.incrementAndGet();
            queue.add(e);
        }
    }

    /** Events waiting for the next write. */
    int queued() {
        return queued.get();
    }

    long dropped() {
        return dropped.sum();
    }
}
