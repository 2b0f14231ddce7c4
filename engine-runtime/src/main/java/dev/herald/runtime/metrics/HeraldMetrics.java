package dev.herald.runtime.metrics;

import dev.herald.api.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.IllegalFormatException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's meters (Micrometer, scraped as Prometheus text at {@code /metrics}). Every {@link ErrorCode} has a
 * {@code herald_drops_total{reason=...}} series from the start, so dashboards see zeros rather than gaps.
 * Thread-safe.
 */
public final class HeraldMetrics {
    private static final Logger DROP_LOG = LoggerFactory.getLogger("dev.herald.drops");
    /** At most one drop log line per reason and second; the line says how many it stands for. */
    private static final long DROP_LOG_INTERVAL_MS = 1_000;
    private static final Object[] NO_ARGS = {};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger joinedChannels = new AtomicInteger();
    private final Counter messagesIn;
    private final Counter messagesOut;
    private final Counter bytesOut;
    private final Map<ErrorCode, Counter> drops = new EnumMap<>(ErrorCode.class);
    private final AtomicLongArray dropLoggedAt = new AtomicLongArray(ErrorCode.values().length);
    private final AtomicLongArray dropsUnlogged = new AtomicLongArray(ErrorCode.values().length);
    // Registered by operations(): the meters added with the admin console.
    private volatile Counter joins;
    private volatile Counter bytesIn;
    private volatile Counter published;
    private volatile Counter adminDisconnects;
    private volatile Timer deliveryLatency;

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
    public void channelJoined() {
        joinedChannels.incrementAndGet();
        joins().increment();
    }
    public void channelLeft() { joinedChannels.decrementAndGet(); }
    public void messageIn() { messagesIn.increment(); }

    public void messageOut(int bytes) {
        messagesOut.increment();
        bytesOut.increment(bytes);
    }

    public void drop(ErrorCode reason) {
        drops.get(reason).increment();
        logDrop(reason, NO_ARGS);
    }

    /** A drop whose message takes arguments (e.g. the topic): the log line shows them, of the latest drop. */
    public void drop(ErrorCode reason, Object... args) {
        drops.get(reason).increment();
        logDrop(reason, args);
    }

    public int connections() { return connections.get(); }
    public int joinedChannels() { return joinedChannels.get(); }
    public double drops(ErrorCode reason) { return drops.get(reason).count(); }

    public MeterRegistry registry() { return registry; }

    /** The Prometheus text exposition of every meter. */
    public String scrape() { return registry.scrape(); }

    private Counter joins() {
        Counter c = joins;
        if (c == null) {
            synchronized (this) {
                if (joins == null) joins = Counter.builder("herald.channels.joins").description("Channel joins accepted").register(registry);
                c = joins;
            }
        }
        return c;
    }

    /**
     * Registers the meters added with the admin console (and JVM memory, threads and uptime). Called once by the
     * constructor's caller through {@link #operations()}; idempotent.
     */
    public synchronized HeraldMetrics operations() {
        if (deliveryLatency != null) return this;
        joins();
        bytesIn = Counter.builder("herald.bytes.in").description("Bytes received from clients (WebSocket frame payloads)").register(registry);
        published = Counter.builder("herald.messages.published")
                .description("Messages published on topics (broadcasts from clients, REST and plugins; presence diffs), before fan-out").register(registry);
        adminDisconnects = Counter.builder("herald.admin.disconnects").description("Connections closed from the admin API").register(registry);
        deliveryLatency = Timer.builder("herald.delivery.latency")
                .description("Time from a fanned-out message entering a subscriber's queue to its write on the socket")
                .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25),
                        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1))
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return this;
    }

    public void bytesIn(int bytes) {
        Counter c = bytesIn;
        if (c != null) c.increment(bytes);
    }

    public void published() {
        Counter c = published;
        if (c != null) c.increment();
    }

    public void adminDisconnect() {
        Counter c = adminDisconnects;
        if (c != null) c.increment();
    }

    public void delivered(long nanos) {
        Timer t = deliveryLatency;
        if (t != null) t.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A structured line per drop reason at most once a second: {@code event=drop code=... count=...}. */
    private void logDrop(ErrorCode reason, Object[] args) {
        int i = reason.ordinal();
        dropsUnlogged.incrementAndGet(i);
        if (!DROP_LOG.isInfoEnabled()) return;
        long now = System.currentTimeMillis();
        long last = dropLoggedAt.get(i);
        if (now - last < DROP_LOG_INTERVAL_MS || !dropLoggedAt.compareAndSet(i, last, now)) return;
        long n = dropsUnlogged.getAndSet(i, 0);
        DROP_LOG.info("event=drop reason={} code={} count={} message=\"{}\"", reason.tag(),
                reason.code() == null ? "-" : reason.code(), n, logText(reason, args));
    }

    /** The message for a log line: arguments filled in (placeholders without one shown as "-"), one line, bounded. */
    static String logText(ErrorCode reason, Object[] args) {
        String text;
        try {
            text = args.length == 0 ? reason.message().replace("%s", "-").replace("%d", "-") : reason.message(args);
        } catch (IllegalFormatException e) {
            text = reason.message().replace("%s", "-").replace("%d", "-");
        }
        StringBuilder sb = new StringBuilder(Math.min(text.length(), 300));
        for (int i = 0; i < text.length() && sb.length() < 300; i++) {
            char c = text.charAt(i);
            sb.append(c == '"' ? '\'' : Character.isISOControl(c) ? ' ' : c);
        }
        return sb.toString();
    }
}
