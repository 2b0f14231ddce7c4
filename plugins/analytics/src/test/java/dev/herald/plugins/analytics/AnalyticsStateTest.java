package dev.herald.plugins.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.Tables;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the analytics plugin tells the admin console. */
class AnalyticsStateTest {
    static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
    final MutableClock clock = new MutableClock(START);
    final LiveCounters counters = new LiveCounters(START, Duration.ofSeconds(60));
    final List<Map<String, Object>> published = new ArrayList<>();
    final LiveMetricsPublisher publisher = new LiveMetricsPublisher(counters, clock, 1000, published::add);
    final UsageRecorder usage = new UsageRecorder(counters, new ObjectMapper(), clock, 1);
    final AnalyticsStats stats = new AnalyticsStats();

    PluginState state() {
        return stats.report(counters, usage, publisher, clock.millis());
    }

    @Test
    void figuresAreTheLiveCounters() {
        counters.record(List.of(new Event(EventTypes.PAGE_VIEW, "a", START, "{}", 0), new Event(EventTypes.PAGE_VIEW, "b", START, "{}", 0)), clock.millis());
        stats.accepted(2);
        stats.rejected();
        usage.record("voice_session", "a", Map.of("seconds", 2));
        usage.record("voice_session", "b", Map.of("seconds", 2)); // over the queue bound of 1: dropped
        publisher.tick();
        PluginState s = state();
        assertEquals(PluginState.Health.OK, s.health());
        assertEquals("3 events counted since 2026-03-01T12:00:00Z", s.summary());
        assertEquals(3L, s.figures().get("events_total"));
        assertEquals(1L, s.figures().get("batches_accepted"));
        assertEquals(2L, s.figures().get("events_accepted"));
        assertEquals(1L, s.figures().get("batches_rejected"));
        assertEquals(1, s.figures().get("usage_queued"));
        assertEquals(1L, s.figures().get("usage_dropped"));
        assertEquals(true, s.figures().get("rollups_pending"));
        assertEquals(2, s.figures().get("active_users"));
        assertEquals(1L, s.figures().get("live_updates"));
    }

    @Test
    void aFailingDatabaseMakesItDegradedUntilACallWorksAgain() {
        stats.batchFailed();
        stats.databaseFailed("storing a batch of events");
        PluginState s = state();
        assertEquals(PluginState.Health.DEGRADED, s.health());
        assertTrue(s.summary().startsWith("the database failed while storing a batch of events"), s.summary());
        assertEquals(1L, s.figures().get("batches_failed"));
        stats.databaseWorked();
        assertEquals(PluginState.Health.OK, state().health());
        assertEquals(1L, state().figures().get("database_failures"), "the total stays");
    }

    @Test
    void itsTablesAreInternalAsBefore() {
        Tables t = new AnalyticsPlugin().tables();
        assertEquals(List.of(), t.published());
        assertEquals(List.of("analytics_events", "analytics_rollups"), t.internal());
        assertEquals("public", t.schema());
    }
}
