package dev.herald.plugins.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.api.plugin.Plugin;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.UsageSink;
import dev.herald.plugins.analytics.AnalyticsPlugin;
import dev.herald.testing.PluginHarness;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A finished session's usage goes to whichever plugin publishes a {@link UsageSink}, started next to voice. */
class UsageTest {

    /** A plugin that publishes {@code sink} as Herald's analytics plugin publishes its recorder. */
    private record SinkPlugin(UsageSink sink) implements Plugin {
        @Override
        public String id() {
            return "sink";
        }

        @Override
        public void start(PluginContext context) {
            context.publish(UsageSink.class, sink);
        }
    }

    private record Recorded(String type, String user, Map<String, Object> properties) {
    }

    @Test
    void aFinishedSessionIsRecordedWhenTheAnalyticsSinkExists() {
        List<Recorded> got = new CopyOnWriteArrayList<>();
        VoicePlugin voice = new VoicePlugin();
        try (PluginHarness h = PluginHarness.of(voice).with(new SinkPlugin((type, user, props) -> got.add(new Recorded(type, user, props)))).start()) {
            voice.service().recordUsage("user-1", Map.of("seconds", 1.5, "audio_bytes_in", 9L));
        }
        assertEquals(List.of(new Recorded("voice_session", "user-1", Map.of("seconds", 1.5, "audio_bytes_in", 9L))), got);
    }

    @Test
    void theAnalyticsPluginCountsTheSession() {
        VoicePlugin voice = new VoicePlugin();
        AnalyticsPlugin analytics = new AnalyticsPlugin();
        try (PluginHarness h = PluginHarness.of(voice).with(analytics).start()) {
            voice.service().recordUsage("user-1", Map.of("seconds", 2.0, "audio_bytes_in", 9L));
            Map<String, Object> figures = analytics.state().figures();
            assertEquals(1L, figures.get("events_total"));
            assertEquals(1, figures.get("usage_queued"));
            assertEquals(1, figures.get("active_users"));
        }
    }

    @Test
    void withoutASinkOrWithAFailingOneNothingBreaks() {
        VoicePlugin alone = new VoicePlugin();
        try (PluginHarness h = PluginHarness.of(alone).start()) {
            alone.service().recordUsage("user-1", Map.of("seconds", 1.0));
        }
        VoicePlugin next = new VoicePlugin();
        try (PluginHarness h = PluginHarness.of(next).with(new SinkPlugin((type, user, props) -> {
            throw new IllegalStateException("analytics is down");
        })).start()) {
            next.service().recordUsage("user-1", Map.of("seconds", 1.0));
        }
    }
}
