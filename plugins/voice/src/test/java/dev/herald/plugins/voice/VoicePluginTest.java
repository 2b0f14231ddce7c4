package dev.herald.plugins.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.PluginState;
import dev.herald.testing.PluginHarness;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The voice plugin started as Herald's boot does: its session REST call per caller, and what it reports. */
class VoicePluginTest {
    /** Nothing listens on port 1: every upstream call fails at once with a refused connection. */
    private static final String UNREACHABLE = "http://127.0.0.1:1";

    private static VoiceApi api(PluginHarness h, String user) {
        return h.rest(PluginHarness.user(user), VoiceApi.class);
    }

    private static void assertRefused(int status, String code, String message, WebApplicationException e) {
        assertEquals(status, e.getResponse().getStatus());
        assertEquals(Map.of("error", code, "message", message), e.getResponse().getEntity());
    }

    /** One session call: what it was resumed with (a refusal before any upstream call is thrown instead). */
    private static Response session(VoiceApi api) throws InterruptedException {
        CapturedResponse async = new CapturedResponse();
        api.session(async);
        return async.await();
    }

    @Test
    void withoutAKeySessionsAreRefusedAndTheStateSaysNotConfigured() throws SQLException {
        try (PluginHarness h = PluginHarness.of(new VoicePlugin()).start()) {
            WebApplicationException e = assertThrows(WebApplicationException.class, () -> api(h, "alice").session(new CapturedResponse()));
            assertRefused(503, "Unavailable", "the voice service has no API key configured (HERALD_PLUGINS_VOICE_API_KEY or api-key-file)", e);
            PluginState s = h.state();
            assertEquals(PluginState.Health.NOT_CONFIGURED, s.health());
            assertEquals(0L, s.figures().get("secrets_minted"));
            assertEquals(0L, s.figures().get("upstream_failures"));
            try (Connection c = h.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM voice_transcripts")) {
                rs.next();
                assertEquals(0, rs.getLong(1), "its table exists, migrated, and nothing was written");
            }
        }
    }

    @Test
    void aCallerWithoutSubGetsNoSession() {
        try (PluginHarness h = PluginHarness.of(new VoicePlugin()).setting("api-key", "sk-test").setting("upstream-url", UNREACHABLE).start()) {
            String noSub = "voice sessions belong to a signed-in user (the token has no sub)";
            assertRefused(403, "Forbidden", noSub, assertThrows(WebApplicationException.class,
                    () -> h.rest(PluginHarness.anon(), VoiceApi.class).session(new CapturedResponse())));
            assertRefused(403, "Forbidden", noSub, assertThrows(WebApplicationException.class,
                    () -> h.rest(PluginHarness.serviceRole(), VoiceApi.class).session(new CapturedResponse())));
            assertEquals(0L, h.state().figures().get("upstream_failures"), "no upstream call was made");
        }
    }

    @Test
    void anUnreachableUpstreamAnswers502AndThreeFailuresMakeItDegraded() throws InterruptedException {
        try (PluginHarness h = PluginHarness.of(new VoicePlugin()).setting("api-key", "sk-very-secret").setting("upstream-url", UNREACHABLE).start()) {
            assertEquals(PluginState.Health.OK, h.state().health());
            for (int i = 1; i <= UpstreamHealth.FAILING_AFTER; i++) {
                Response r = session(api(h, "alice"));
                assertEquals(502, r.getStatus());
                assertEquals(Map.of("error", "Unavailable", "message", "the voice service could not be reached (ConnectException)"), r.getEntity());
                assertEquals((long) i, h.state().figures().get("upstream_failures"));
            }
            PluginState s = h.state();
            assertEquals(PluginState.Health.DEGRADED, s.health());
            assertTrue(s.summary().startsWith("upstream failing: 3 calls in a row"), s.summary());
            assertTrue(s.summary().endsWith("minting a client secret: the voice service could not be reached (ConnectException)"), s.summary());
            assertEquals(0L, s.figures().get("secrets_minted"));
            assertFalse(s.toString().contains("sk-very-secret"), "the state never shows the key");
        }
    }

    @Test
    void mintsOverTheUserRateAreRefusedWith429BeforeAnyUpstreamCall() throws InterruptedException {
        try (PluginHarness h = PluginHarness.of(new VoicePlugin()).setting("api-key", "sk-test").setting("upstream-url", UNREACHABLE)
                .setting("mints-per-user-per-minute", "1").start()) {
            assertEquals(502, session(api(h, "alice")).getStatus());
            WebApplicationException e = assertThrows(WebApplicationException.class, () -> api(h, "alice").session(new CapturedResponse()));
            assertRefused(429, "TooManyRequests", "too many voice sessions minted by this user; at most 1 per minute", e);
            assertEquals(502, session(api(h, "bob")).getStatus(), "another user has a rate of their own");
            Map<String, Object> figures = h.state().figures();
            assertEquals(1L, figures.get("mints_refused"));
            assertEquals(2L, figures.get("upstream_failures"));
        }
    }

    @Test
    void aBadSettingRefusesTheStartNamingTheKey() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new VoicePlugin()).setting("flavour", "v2").start());
        assertTrue(e.getMessage().startsWith("Plugin 'voice' refused to start: HERALD_PLUGINS_VOICE_FLAVOUR"), e.getMessage());
        assertTrue(e.getMessage().endsWith(" must be 'ga' or 'beta', not 'v2'"), e.getMessage());
        IllegalStateException unknown = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new VoicePlugin()).setting("api-secret", "sk").start());
        assertTrue(unknown.getMessage().startsWith("Unknown configuration key HERALD_PLUGINS_VOICE_API_SECRET"), unknown.getMessage());
    }
}
