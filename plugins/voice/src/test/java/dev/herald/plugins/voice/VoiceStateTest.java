package dev.herald.plugins.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.PluginState;
import dev.herald.testing.PluginHarness;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What the voice plugin tells the admin console. */
class VoiceStateTest {

    @Test
    void withoutAKeyItIsNotConfiguredAndNamesTheSetting() {
        try (PluginHarness h = StartedVoice.with(new VoicePlugin()).start()) {
            PluginState s = h.state();
            assertEquals(PluginState.Health.NOT_CONFIGURED, s.health());
            assertTrue(s.summary().contains("HERALD_PLUGINS_VOICE_API_KEY (herald.plugins.voice.api-key)"), s.summary());
            assertTrue(s.summary().contains("HERALD_PLUGINS_VOICE_API_KEY_FILE"), s.summary());
            assertEquals(0, s.figures().get("open_relays"));
        }
    }

    @Test
    void withAKeyItIsOkAndNeverShowsTheKeyOrTheUrlsCredentials() {
        try (PluginHarness h = StartedVoice.with(new VoicePlugin(), "api-key", "sk-very-secret", "upstream-url", "https://user:pw@proxy.example:8443/openai").start()) {
            PluginState s = h.state();
            assertEquals(PluginState.Health.OK, s.health());
            assertEquals("relaying to https://proxy.example:8443 (ga, gpt-realtime)", s.summary());
            assertFalse(s.toString().contains("sk-very-secret"));
            assertEquals(0L, s.figures().get("secrets_minted"));
            assertEquals(0L, s.figures().get("upstream_failures"));
        }
    }

    @Test
    void failingUpstreamCallsMakeItDegradedUntilOneSucceeds() {
        VoicePlugin plugin = new VoicePlugin();
        try (PluginHarness h = StartedVoice.with(plugin, "api-key", "sk-test").start()) {
            UpstreamHealth upstream = plugin.service().upstream();
            upstream.failed("minting a client secret: the voice service refused the request (HTTP 401)");
            upstream.failed("minting a client secret: the voice service refused the request (HTTP 401)");
            assertEquals(PluginState.Health.OK, h.state().health(), "two failures are not yet a streak");
            upstream.failed("relay connection: HTTP 401");
            PluginState s = h.state();
            assertEquals(PluginState.Health.DEGRADED, s.health());
            assertTrue(s.summary().startsWith("upstream failing: 3 calls in a row"), s.summary());
            assertTrue(s.summary().endsWith("relay connection: HTTP 401"), s.summary());
            assertEquals(3L, s.figures().get("upstream_failures"));
            upstream.succeeded();
            assertEquals(PluginState.Health.OK, h.state().health());
            assertEquals(3L, h.state().figures().get("upstream_failures"), "the total stays");
        }
    }

    @Test
    void anOldStreakSaysNothingAboutNow() {
        AtomicLong nanos = new AtomicLong(1_000_000_000L);
        UpstreamHealth upstream = new UpstreamHealth(nanos::get);
        for (int i = 0; i < UpstreamHealth.FAILING_AFTER; i++) upstream.failed("relay connection: timed out");
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(12));
        assertEquals("upstream failing: 3 calls in a row, the last 12 s ago: relay connection: timed out", upstream.failing());
        nanos.addAndGet(UpstreamHealth.RECENT_NANOS);
        assertNull(upstream.failing());
        assertEquals(3, upstream.failures());
    }
}
