package dev.herald.plugins.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The voice settings as the plugin reads them when Herald starts it (through the plugin test kit). */
class VoiceSettingsTest {

    private static VoiceSettings from(String... pairs) {
        return StartedVoice.settings(pairs);
    }

    private static String refusal(String... pairs) {
        return StartedVoice.refusal(pairs);
    }

    @Test
    void defaultsTargetTheGaApiWithoutAKey() {
        VoiceSettings s = from();
        assertEquals(Flavour.GA, s.flavour());
        assertEquals("gpt-realtime", s.model());
        assertEquals("alloy", s.voice());
        assertEquals(URI.create("https://api.openai.com"), s.upstream());
        assertEquals(URI.create("wss://api.openai.com/v1/realtime?model=gpt-realtime"), s.socketUri());
        assertEquals(URI.create("https://api.openai.com/v1/realtime/client_secrets"), s.secretUri());
        assertFalse(s.hasApiKey());
        assertNull(s.apiKey());
        assertEquals(2, s.maxSessionsPerUser());
    }

    @Test
    void betaDefaultsToAPreviewModelAndTheSessionsEndpoint() {
        VoiceSettings s = from("flavour", "BETA", "upstream-url", "http://127.0.0.1:9999/");
        assertEquals(Flavour.BETA, s.flavour());
        assertEquals("gpt-4o-realtime-preview", s.model());
        assertEquals(URI.create("ws://127.0.0.1:9999/v1/realtime?model=gpt-4o-realtime-preview"), s.socketUri());
        assertEquals(URI.create("http://127.0.0.1:9999/v1/realtime/sessions"), s.secretUri());
    }

    @Test
    void aBasePathIsKept() {
        VoiceSettings s = from("upstream-url", "https://proxy.example/openai//", "model", "my model");
        assertEquals(URI.create("wss://proxy.example/openai/v1/realtime?model=my+model"), s.socketUri());
    }

    @Test
    void badValuesStopTheBootNamingTheKey() {
        assertTrue(refusal("flavour", "v2").contains("HERALD_PLUGINS_VOICE_FLAVOUR"));
        assertTrue(refusal("vad-threshold", "1.5").contains("HERALD_PLUGINS_VOICE_VAD_THRESHOLD"));
        assertTrue(refusal("vad-silence-duration-ms", "-1").contains("VAD_SILENCE_DURATION_MS"));
        assertTrue(refusal("max-sessions-per-user", "0").contains("MAX_SESSIONS_PER_USER"));
        assertTrue(refusal("max-session-seconds", "0").contains("MAX_SESSION_SECONDS"));
        assertTrue(refusal("client-secret-seconds", "5").contains("CLIENT_SECRET_SECONDS"));
        assertTrue(refusal("upstream-url", "https://api.example/?x=1").contains("UPSTREAM_URL"));
    }

    @Test
    void aBlankValueIsTheDefault() {
        // Herald's boot treats a blank setting as unset, so a blank voice or model never reaches the plugin's own check.
        assertEquals("alloy", from("voice", "  ").voice());
        assertEquals("gpt-realtime", from("model", " ").model());
    }

    @Test
    void theKeyComesFromTheValueOrAFileNeverBoth(@TempDir Path dir) throws Exception {
        assertEquals("sk-direct", from("api-key", " sk-direct ").apiKey());
        Path file = dir.resolve("key");
        Files.writeString(file, "sk-from-file\n");
        assertEquals("sk-from-file", from("api-key-file", file.toString()).apiKey());
        String both = refusal("api-key", "sk-direct", "api-key-file", file.toString());
        assertTrue(both.contains("not both"), both);
        assertFalse(both.contains("sk-direct"), "the message never quotes the key");
        String missing = refusal("api-key-file", dir.resolve("absent").toString());
        assertTrue(missing.contains("cannot read"), missing);
        Files.writeString(file, "  \n");
        assertTrue(refusal("api-key-file", file.toString()).contains("is empty"));
        Files.writeString(file, "sk-one\nsk-two\n");
        String twoLines = refusal("api-key-file", file.toString());
        assertTrue(twoLines.contains("alone on one line"), twoLines);
        assertFalse(twoLines.contains("sk-one"), "the message never quotes the file's content");
    }

    @Test
    void toStringNeverShowsTheKey() {
        VoiceSettings s = from("api-key", "sk-very-secret");
        assertFalse(s.toString().contains("sk-very-secret"));
        assertTrue(s.toString().contains("apiKey=***"));
    }
}
