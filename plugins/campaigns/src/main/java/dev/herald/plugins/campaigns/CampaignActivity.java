package dev.herald.plugins.campaigns;

import dev.herald.api.plugin.PluginState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the campaigns plugin has done since Herald started, kept in memory for the admin console. Thread-safe: REST
 * threads count concurrently (each after its transaction committed), the console reads at any time without blocking
 * them; a read may miss a request that is finishing at that instant. Nothing is persisted, so the figures restart at
 * zero with Herald.
 */
final class CampaignActivity {
    private final LongAdder requests = new LongAdder();
    private final LongAdder created = new LongAdder();
    private final LongAdder statusChanges = new LongAdder();
    private final LongAdder decisions = new LongAdder();
    private final LongAdder metricUpdates = new LongAdder();

    /** One REST request reached the plugin (Herald had verified its token). */
    void request() {
        requests.increment();
    }

    /** A campaign was created. */
    void created() {
        created.increment();
    }

    /** A campaign moved along its lifecycle; {@code decision} when it was an approver's approval or rejection. */
    void statusChanged(boolean decision) {
        statusChanges.increment();
        if (decision) decisions.increment();
    }

    /** A running campaign's counters were added to. */
    void metricsRecorded() {
        metricUpdates.increment();
    }

    /** The plugin's state now: always OK (the approver role is checked at boot), with the counters. */
    PluginState state(String approverRole) {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("rest_requests", requests.sum());
        figures.put("campaigns_created", created.sum());
        figures.put("status_changes", statusChanges.sum());
        figures.put("decisions", decisions.sum());
        figures.put("metric_updates", metricUpdates.sum());
        return new PluginState(PluginState.Health.OK, "approvers hold the app_metadata role '" + approverRole + "'; counts since start", figures);
    }
}
