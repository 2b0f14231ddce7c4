package dev.herald.plugins.challenges;

import dev.herald.api.plugin.PluginState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the challenges plugin has done since Herald started, kept in memory for the admin console. Thread-safe: REST
 * threads count concurrently, the console reads at any time without blocking them; a read may miss a request that is
 * finishing at that instant. Nothing is persisted, so the figures restart at zero with Herald.
 */
final class ChallengeActivity {
    private final LongAdder requests = new LongAdder();
    private final LongAdder created = new LongAdder();
    private final LongAdder submissions = new LongAdder();
    private final LongAdder reviews = new LongAdder();
    private final LongAdder notifications = new LongAdder();

    /** One REST request reached the plugin (Herald had verified its token). */
    void request() {
        requests.increment();
    }

    /** A challenge was created (committed). */
    void created() {
        created.increment();
    }

    /** A submission was committed, with {@code notified} notifications written in its transaction (0 or 1). */
    void submitted(int notified) {
        submissions.increment();
        notifications.add(notified);
    }

    /** A review was committed, with {@code notified} notifications written in its transaction (0 or 1). */
    void reviewed(int notified) {
        reviews.increment();
        notifications.add(notified);
    }

    /** The plugin's state now: always OK (it has nothing to configure), with the counters. */
    PluginState state() {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("rest_requests", requests.sum());
        figures.put("challenges_created", created.sum());
        figures.put("submissions", submissions.sum());
        figures.put("reviews", reviews.sum());
        figures.put("notifications_sent", notifications.sum());
        return new PluginState(PluginState.Health.OK, "serving /plugins/challenges; counts since start", figures);
    }
}
