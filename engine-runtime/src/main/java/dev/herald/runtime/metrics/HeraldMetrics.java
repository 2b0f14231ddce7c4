package dev.herald.runtime.metrics;

import dev.herald.api.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine's meters (Micrometer, scraped as Prometheus text at {@code /metrics}). Every {@link ErrorCode} has a
 * {@code herald_drops_total{reason=...}} series from the start, so dashboards see zeros rather than gaps.
 * Thread-safe.
 */
public final class HeraldMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger joinedChannels = new AtomicInteger();
    private final Counter messagesIn;
    private final Counter messagesOut;
    private final Counter bytesOut;
    private final Map<ErrorCode, Counter> drops = new EnumMap<>(ErrorCode.class);

    public HeraldMetrics() {
        Gauge.builder("herald.connections", connections, AtomicInteger::get)
                .description("Open WebSocket connections").register(registry);
        Gauge.builder("herald.channels.joined", joinedChannels, AtomicInteger::get)
                .description("Channels currently joined, over all connections").register(registry);
        messagesIn = Counter.builder("herald.messages.in").description("Frames received from clients").register(registry);
        messagesOut = Counter.builder("herald.messages.out").description("Frames written to clients").register(registry);
        bytesOut = Counter.builder("herald.bytes.out").description("Bytes written to clients").register(registry);
        for (ErrorCode code : ErrorCode.values()) {
            drops.put(code, Counter.builder("herald.drops").tag("reason", code.tag())
                    .description("Messages dropped, refusals and forced disconnects, by reason").register(registry));
        }
    }

    public void connectionOpened() { connections.incrementAndGet(); }
    public void connectionClosed() { connections.decrementAndGet(); }
    public void channelJoined() { joinedChannels.incrementAndGet(); }
    public void channelLeft() { joinedChannels.decrementAndGet(); }
    public void messageIn() { messagesIn.increment(); }

    public void messageOut(int bytes) {
        messagesOut.increment();
        bytesOut.increment(bytes);
    }

    public void drop(ErrorCode reason) { drops.get(reason).increment(); }

    public int connections() { return connections.get(); }
    public int joinedChannels() { return joinedChannels.get(); }
    public double drops(ErrorCode reason) { return drops.get(reason).count(); }

    public MeterRegistry registry() { return registry; }

    /** The Prometheus text exposition of every meter. */
    public String scrape() { return registry.scrape(); }
}
