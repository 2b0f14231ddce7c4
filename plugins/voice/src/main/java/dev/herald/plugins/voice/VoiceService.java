package dev.herald.plugins.voice;

import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.UsageSink;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What every relay and the REST API share: the settings, one HTTP client for the upstream, the per-user limiter, the
 * transcript writer, a timer thread and the open relays (closed when Herald stops), and the counters the admin
 * console shows. Thread-safe: the counters are adders and the relay set is concurrent, so relays, REST requests and
 * the console touch them without waiting on each other.
 */
final class VoiceService implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(VoiceService.class.getName());

    private final VoiceSettings settings;
    private final PluginContext context;
    private final ExecutorService upstreamThreads;
    private final HttpClient http;
    private final SessionLimiter limiter;
    private final TranscriptStore transcripts;
    private final ScheduledExecutorService scheduler;
    private final ClientSecrets secrets;
    private final MintLimiter mints;
    private final Set<RelayEndpoint> open = ConcurrentHashMap.newKeySet();
    private final UpstreamHealth upstream = new UpstreamHealth(System::nanoTime);
    private final LongAdder relaysStarted = new LongAdder();
    private final LongAdder relaysRefused = new LongAdder();
    private final LongAdder secretsMinted = new LongAdder();
    private final LongAdder mintsRefused = new LongAdder();

    VoiceService(VoiceSettings settings, PluginContext context) {
        this.settings = settings;
        this.context = context;
        AtomicInteger n = new AtomicInteger();
        // Relays write to browsers with blocking sends from these threads, so they must not be the JDK's shared pool.
        this.upstreamThreads = Executors.newCachedThreadPool(r -> daemon(r, "voice-upstream-" + n.incrementAndGet()));
        this.http = HttpClient.newBuilder()
                .executor(upstreamThreads)
                // HTTP/1.1 only: an h2c upgrade offer on plain http confuses WebSocket-capable servers.
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(settings.connectTimeoutMs()))
                .build();
        this.limiter = new SessionLimiter(settings.maxSessionsPerUser());
        this.transcripts = new TranscriptStore(context.dataSource());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "voice-timer"));
        this.secrets = new ClientSecrets(settings, http);
        this.mints = new MintLimiter(settings.mintsPerUserPerMinute(), settings.mintsPerMinute(), settings.maxConcurrentMints(), System::nanoTime);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    VoiceSettings settings() {
        return settings;
    }

    HttpClient http() {
        return http;
    }

    SessionLimiter limiter() {
        return limiter;
    }

    TranscriptStore transcripts() {
        return transcripts;
    }

    /**
     * Runs {@code task} after the delay on a pooled thread: the single timer thread only hands tasks over, so a task
     * that blocks (closing a stuck connection) cannot delay every other relay's timers.
     */
    ScheduledFuture<?> later(Runnable task, long delay, TimeUnit unit) {
        return scheduler.schedule(() -> {
            try {
                upstreamThreads.execute(task);
            } catch (RejectedExecutionException stopping) {
                // Herald is stopping; close() closes every relay anyway
            }
        }, delay, unit);
    }

    MintLimiter mints() {
        return mints;
    }

    ClientSecrets secrets() {
        return secrets;
    }

    /** Outcomes of the calls to the upstream service. */
    UpstreamHealth upstream() {
        return upstream;
    }

    void opened(RelayEndpoint relay) {
        relaysStarted.increment();
        open.add(relay);
    }

    void closed(RelayEndpoint relay) {
        open.remove(relay);
    }

    int openRelays() {
        return open.size();
    }

    /** A browser connection closed before any upstream was opened (no sub, no key, over the per-user limit). */
    void relayRefused() {
        relaysRefused.increment();
    }

    /** A client secret the upstream minted and the caller received. */
    void secretMinted() {
        secretsMinted.increment();
    }

    /** A mint refused by the rate limits or the cap on concurrent mints, before any upstream call. */
    void mintRefused() {
        mintsRefused.increment();
    }

    long relaysStarted() {
        return relaysStarted.sum();
    }

    long relaysRefused() {
        return relaysRefused.sum();
    }

    long secretsMinted() {
        return secretsMinted.sum();
    }

    long mintsRefused() {
        return mintsRefused.sum();
    }

    /** Logs one finished session's usage and hands it to the analytics plugin's sink, when one is installed. */
    void recordUsage(String user, Map<String, Object> properties) {
        LOG.info("voice: session " + properties.get("session_id") + " of " + user + " ended after " + properties.get("seconds")
                + " s: audio bytes in " + properties.get("audio_bytes_in") + ", out " + properties.get("audio_bytes_out")
                + "; frames in " + properties.get("frames_in") + ", out " + properties.get("frames_out"));
        UsageSink sink;
        try {
            sink = context.service(UsageSink.class);
        } catch (RuntimeException e) {
            return;
        }
        if (sink == null) return;
        try {
            sink.record("voice_session", user, properties);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "voice: the usage sink failed: " + e);
        }
    }

    @Override
    public void close() {
        for (RelayEndpoint relay : open) relay.closeBoth(1001, "Herald is stopping", true, true);
        transcripts.close(2000);
        scheduler.shutdownNow();
        upstreamThreads.shutdown();
        try {
            upstreamThreads.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
