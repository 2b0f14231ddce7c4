package dev.herald.plugins.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.UsageSink;
import dev.herald.testing.PluginHarness;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The analytics plugin started as Herald's boot does: batches over REST per caller, its counters, its usage sink. */
class AnalyticsPluginTest {

    private static AnalyticsApi api(PluginHarness h, String user) {
        return h.rest(PluginHarness.user(user), AnalyticsApi.class);
    }

    /** The stored events as "type user_id", in insert order. */
    private static List<String> events(PluginHarness h) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = h.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT event_type, user_id FROM analytics_events ORDER BY id")) {
            while (rs.next()) out.add(rs.getString(1) + " " + rs.getString(2));
        }
        return out;
    }

    @Test
    void aUsersBatchIsStoredCountedAndShownInTheLiveMetrics() throws SQLException {
        try (PluginHarness h = PluginHarness.of(new AnalyticsPlugin()).start()) {
            Response r = api(h, "alice").ingest("""
                    {"events":[{"type":"page_view","properties":{"path":"/a"}},{"type":"user_action","properties":{"action":"click"}}]}""");
            assertEquals(200, r.getStatus());
            assertEquals(Map.of("accepted", 2), r.getEntity());
            assertEquals(List.of("page_view alice", "user_action alice"), events(h));

            Map<String, Object> live = api(h, "bob").liveMetrics();
            assertEquals(2L, live.get("events_total"));
            assertEquals(Map.of("page_view", 1L, "user_action", 1L), live.get("by_type"));
            assertEquals(1, live.get("active_users"));
            Map<String, Object> figures = h.state().figures();
            assertEquals(1L, figures.get("batches_accepted"));
            assertEquals(2L, figures.get("events_accepted"));
            assertEquals(2L, figures.get("events_total"));
        }
    }

    @Test
    void onlyTheServiceRoleRecordsEventsForOtherUsers() throws SQLException {
        try (PluginHarness h = PluginHarness.of(new AnalyticsPlugin()).start()) {
            String forBob = "{\"events\":[{\"type\":\"user_action\",\"user_id\":\"bob\",\"properties\":{\"action\":\"x\"}}]}";
            Response refused = api(h, "alice").ingest(forBob);
            assertEquals(403, refused.getStatus());
            assertEquals(Map.of("error", "Forbidden", "index", 0,
                    "message", "events[0].user_id names another user; only the service role may record events for other users"), refused.getEntity());
            assertEquals(List.of(), events(h));

            assertEquals(200, h.rest(PluginHarness.serviceRole(), AnalyticsApi.class).ingest(forBob).getStatus());
            // A caller without sub records events of nobody in particular.
            assertEquals(200, h.rest(PluginHarness.anon(), AnalyticsApi.class).ingest("{\"events\":[{\"type\":\"page_view\",\"properties\":{\"path\":\"/\"}}]}").getStatus());
            assertEquals(List.of("user_action bob", "page_view null"), events(h));
            assertEquals(1L, h.state().figures().get("batches_rejected"));
        }
    }

    @Test
    void aBatchWithOneBadEventIsRefusedWhole() throws SQLException {
        try (PluginHarness h = PluginHarness.of(new AnalyticsPlugin()).start()) {
            Response r = api(h, "alice").ingest("{\"events\":[{\"type\":\"page_view\",\"properties\":{\"path\":\"/\"}},{\"type\":\"nope\"}]}");
            assertEquals(400, r.getStatus());
            @SuppressWarnings("unchecked")
            Map<String, Object> body = (Map<String, Object>) r.getEntity();
            assertEquals("InvalidInput", body.get("error"));
            assertEquals(1, body.get("index"));
            assertTrue(((String) body.get("message")).startsWith("events[1].type 'nope' is not a known event type"), body.toString());
            assertEquals(List.of(), events(h));
            assertEquals(0L, api(h, "alice").liveMetrics().get("events_total"));
            assertEquals(1L, h.state().figures().get("batches_rejected"));
        }
    }

    @Test
    void rollupsNeedAForwardRange() {
        try (PluginHarness h = PluginHarness.of(new AnalyticsPlugin()).start()) {
            WebApplicationException e = assertThrows(WebApplicationException.class,
                    () -> api(h, "alice").rollups("2026-03-01T12:00:00Z", "2026-03-01T11:00:00Z", null));
            assertEquals(400, e.getResponse().getStatus());
            assertEquals(Map.of("error", "InvalidInput", "message", "'to' must be later than 'from'"), e.getResponse().getEntity());
            Response ok = api(h, "alice").rollups("2026-03-01T11:00:00Z", "2026-03-01T12:00:00Z", "page_view");
            assertEquals(200, ok.getStatus());
        }
    }

    @Test
    void itPublishesAUsageSinkWhoseEventsAreCounted() {
        // An hour between flushes: the queued event stays queued for the whole test.
        try (PluginHarness h = PluginHarness.of(new AnalyticsPlugin()).setting("rollup-flush-ms", "3600000").start()) {
            UsageSink sink = h.context().service(UsageSink.class);
            sink.record("voice_session", "alice", Map.of("seconds", 1.5));
            sink.record("Not A Type", "alice", Map.of());
            Map<String, Object> live = api(h, "alice").liveMetrics();
            assertEquals(1L, live.get("voice_sessions"));
            assertEquals(1.5, live.get("voice_seconds"));
            Map<String, Object> figures = h.state().figures();
            assertEquals(1, figures.get("usage_queued"), "written at the next flush");
            assertEquals(1L, figures.get("usage_dropped"));
        }
    }

    @Test
    void aBadSettingRefusesTheStart() {
        IllegalStateException fast = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new AnalyticsPlugin()).setting("publish-interval-ms", "500").start());
        assertTrue(fast.getMessage().startsWith("Plugin 'analytics' refused to start: "), fast.getMessage());
        assertTrue(fast.getMessage().endsWith(" must be at least 1000"), fast.getMessage());
        IllegalStateException words = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new AnalyticsPlugin()).setting("max-batch", "many").start());
        assertTrue(words.getMessage().startsWith("Invalid value for HERALD_PLUGINS_ANALYTICS_MAX_BATCH: 'many' is not a whole number"), words.getMessage());
    }
}
