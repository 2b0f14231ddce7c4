package dev.herald.api.plugin;

import java.util.Map;

/**
 * Somewhere to record usage events (e.g. the analytics plugin), looked up with
 * {@code context.service(UsageSink.class)}; null when no plugin publishes one.
 *
 * <p>Thread-safe and non-blocking: implementations buffer and count in memory. Events are best effort.
 */
public interface UsageSink {
    /**
     * Records one event.
     *
     * @param eventType e.g. {@code voice_session}
     * @param userId the JWT subject it concerns, or null
     * @param properties numbers and strings describing it (e.g. {@code seconds}, {@code audio_bytes})
     */
    void record(String eventType, String userId, Map<String, Object> properties);
}
