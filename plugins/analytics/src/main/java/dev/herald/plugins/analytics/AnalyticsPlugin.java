package dev.herald.plugins.analytics;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.DeclaresChannels;
import dev.herald.api.plugin.OwnsTables;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.ReportsState;
import dev.herald.api.plugin.ServesRest;
import dev.herald.api.plugin.Tables;
import dev.herald.api.plugin.UsageSink;
import dev.herald.api.policy.Principal;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Analytics (docs/plugins/analytics.md): events ingested over REST in validated batches and stored with one insert per
 * batch; counts kept in memory; live metrics broadcast on the public channel {@value #CHANNEL} at most once per
 * {@code publish-interval-ms} while anything changes; per-minute counts flushed to {@code analytics_rollups} every
 * {@code rollup-flush-ms} and on close; a {@link UsageSink} published for other plugins; its counters and database
 * health for the admin console.
 */
public final class AnalyticsPlugin implements OwnsTables, DeclaresChannels, ServesRest, ReportsState {
    private static final Logger LOG = Logger.getLogger(AnalyticsPlugin.class.getName());
    static final String CHANNEL = "live-metrics";
    static final String EVENT = "metrics";
    static final long TICK_MILLIS = 100;

    private final Clock clock = Clock.systemUTC();
    private final ObjectMapper json = new ObjectMapper();
    private PluginConfig config;
    private EventTypes types;
    private LiveCounters counters;
    private LiveMetricsPublisher publisher;
    private UsageRecorder usage;
    private AnalyticsStore store;
    private BatchValidator validator;
    private ScheduledExecutorService scheduler;
    // Written in start() after every part the REST API and the console use, read first by their threads: whoever sees
    // it set sees those parts too.
    private volatile AnalyticsStats stats;

    @Override
    public String id() {
        return "analytics";
    }

    @Override
    public String description() {
        return "Analytics events in batches, live metrics on the live-metrics channel, per-minute rollups, usage recording";
    }

    @Override
    public List<ConfigKey> configKeys() {
        return List.of(
                ConfigKey.of("max-batch", ConfigKey.Type.INTEGER, "500", "Most events accepted in one POST /plugins/analytics/events"),
                ConfigKey.of("max-properties-bytes", ConfigKey.Type.INTEGER, "4096", "Largest properties object of one event, in bytes of JSON"),
                ConfigKey.of("max-age-hours", ConfigKey.Type.INTEGER, "168", "Oldest event time ('at') accepted, in hours before now"),
                ConfigKey.of("extra-event-types", ConfigKey.Type.STRING, "", "Comma-separated event types accepted besides the built-in ones"),
                ConfigKey.of("active-window-seconds", ConfigKey.Type.INTEGER, "300", "Active users are the distinct user ids seen within this many seconds"),
                ConfigKey.of("publish-interval-ms", ConfigKey.Type.INTEGER, "1000", "Least time between two live-metrics broadcasts (at least 1000)"),
                ConfigKey.of("rollup-flush-ms", ConfigKey.Type.INTEGER, "60000", "How often per-minute counts and usage events are written to the database"),
                ConfigKey.of("max-queued-usage", ConfigKey.Type.INTEGER, "100000", "Most usage events (UsageSink) waiting for a write before new ones are dropped"));
    }

    @Override
    public void init(PluginConfig config) {
        atLeast(config, "max-batch", 1);
        atLeast(config, "max-properties-bytes", 2);
        atLeast(config, "max-age-hours", 1);
        atLeast(config, "active-window-seconds", 1);
        atLeast(config, "publish-interval-ms", 1000);
        atLeast(config, "rollup-flush-ms", 100);
        atLeast(config, "max-queued-usage", 1);
        try {
            types = EventTypes.withExtra(config.string("extra-event-types"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid value for " + config.describe("extra-event-types") + ": " + e.getMessage());
        }
        this.config = config;
    }

    private static void atLeast(PluginConfig config, String key, long min) {
        if (config.integer(key) < min) throw new IllegalArgumentException(config.describe(key) + " must be at least " + min);
    }

    @Override
    public Tables tables() {
        // Raw events hold user ids and properties (URLs with tokens): internal, never published, not readable by app roles.
        return Tables.inPublic("db/plugins/analytics").withInternal("analytics_events", "analytics_rollups");
    }

    @Override
    public void start(PluginContext context) {
        store = new AnalyticsStore(context.dataSource());
        validator = new BatchValidator(json, types, (int) config.integer("max-batch"),
                (int) config.integer("max-properties-bytes"), Duration.ofHours(config.integer("max-age-hours")));
        counters = new LiveCounters(clock.instant(), Duration.ofSeconds(config.integer("active-window-seconds")));
        publisher = new LiveMetricsPublisher(counters, clock, config.integer("publish-interval-ms"),
                snapshot -> context.broadcast(CHANNEL, false, EVENT, snapshot));
        usage = new UsageRecorder(counters, json, clock, (int) config.integer("max-queued-usage"));
        stats = new AnalyticsStats();
        context.publish(UsageSink.class, usage);
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-analytics");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::publish, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        long flush = config.integer("rollup-flush-ms");
        scheduler.scheduleWithFixedDelay(this::flush, flush, flush, TimeUnit.MILLISECONDS);
    }

    private void publish() {
        try {
            publisher.tick();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "analytics: publishing live metrics failed", e);
        }
    }

    /** Writes queued usage events and the per-minute counts; what fails is kept for the next flush. */
    void flush() {
        List<Event> queued = usage.drain();
        try {
            store.insertEvents(queued);
            if (!queued.isEmpty()) stats.databaseWorked();
        } catch (SQLException | RuntimeException e) {
            stats.databaseFailed("writing usage events");
            usage.requeue(queued);
            LOG.log(Level.WARNING, "analytics: writing " + queued.size() + " usage events failed; retried at the next flush", e);
        }
        Map<LiveCounters.RollupKey, Long> counts = counters.drainRollups();
        try {
            store.addRollups(counts);
            if (!counts.isEmpty()) stats.databaseWorked();
        } catch (SQLException | RuntimeException e) {
            stats.databaseFailed("writing rollup counts");
            counters.restore(counts);
            LOG.log(Level.WARNING, "analytics: writing " + counts.size() + " rollup counts failed; retried at the next flush", e);
        }
    }

    @Override
    public List<ChannelSpec> channels() {
        return List.of(new ChannelSpec(CHANNEL, "Live analytics metrics, broadcast by the server (event 'metrics') at most once a second",
                List.of(), Map.of(), false, false));
    }

    @Override
    public Object restResource(Principal caller) {
        AnalyticsStats shared = stats;
        return new AnalyticsApi(caller, validator, store, counters, publisher, clock, shared);
    }

    /** Its counters and database health, as {@link AnalyticsStats#report} describes; "starting" before {@link #start}. */
    @Override
    public PluginState state() {
        AnalyticsStats shared = stats;
        if (shared == null) return PluginState.ok("starting");
        return shared.report(counters, usage, publisher, clock.millis());
    }

    @Override
    public void close() {
        if (scheduler == null) return;
        scheduler.shutdown();
        try {
            if (!scheduler.awaitTermination(2, TimeUnit.SECONDS)) scheduler.shutdownNow();
        } catch (InterruptedException e) {
            scheduler.shutdownNow();
            Thread.currentThread().interrupt();
        }
        flush();
    }
}
