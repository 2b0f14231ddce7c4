package dev.herald.plugins.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class FlavourTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Map<String, VoiceSettings> STARTED = new ConcurrentHashMap<>();

    /** The settings of a plugin started with them (once per flavour: each start migrates a fresh database). */
    private static VoiceSettings settings(String flavour) {
        return STARTED.computeIfAbsent(flavour, f -> StartedVoice.settings(
                "flavour", f, "voice", "verse", "instructions", "Be brief.", "transcription-model", "whisper-1",
                "vad-threshold", "0.65", "vad-prefix-padding-ms", "250", "vad-silence-duration-ms", "420"));
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void gaSessionUpdateNestsAudioAndNamesTheSessionType() throws Exception {
        String update = Flavour.GA.sessionUpdate(settings("ga")).toString();
        assertEquals(json("""
                {"type":"session.update","session":{
                  "type":"realtime","model":"gpt-realtime","instructions":"Be brief.",
                  "audio":{
                    "input":{"format":{"type":"audio/pcm","rate":24000},
                             "transcription":{"model":"whisper-1"},
                             "turn_detection":{"type":"server_vad","threshold":0.65,"prefix_padding_ms":250,"silence_duration_ms":420}},
                    "output":{"format":{"type":"audio/pcm","rate":24000},"voice":"verse"}}}}
                """), json(update));
    }

    @Test
    void betaSessionUpdateUsesFlatFieldsAndNoSessionType() throws Exception {
        String update = Flavour.BETA.sessionUpdate(settings("beta")).toString();
        assertEquals(json("""
                {"type":"session.update","session":{
                  "modalities":["audio","text"],"instructions":"Be brief.","voice":"verse",
                  "input_audio_format":"pcm16","output_audio_format":"pcm16",
                  "input_audio_transcription":{"model":"whisper-1"},
                  "turn_detection":{"type":"server_vad","threshold":0.65,"prefix_padding_ms":250,"silence_duration_ms":420}}}
                """), json(update));
        assertFalse(json(update).path("session").has("type"), "the beta API rejects session.type");
    }

    @Test
    void secretRequestsFollowEachFlavour() throws Exception {
        JsonNode ga = json(Flavour.GA.secretRequest(settings("ga")).toString());
        assertEquals(json("{\"anchor\":\"created_at\",\"seconds\":600}"), ga.path("expires_after"));
        assertEquals(json(Flavour.GA.session(settings("ga")).toString()), ga.path("session"));

        JsonNode beta = json(Flavour.BETA.secretRequest(settings("beta")).toString());
        assertEquals("gpt-4o-realtime-preview", beta.path("model").asText());
        assertEquals("verse", beta.path("voice").asText());
        assertEquals("pcm16", beta.path("input_audio_format").asText());
        assertFalse(beta.has("session") || beta.has("expires_after"));
    }

    @Test
    void eventNamesAndHeadersDifferPerFlavour() {
        assertEquals("response.output_audio.delta", Flavour.GA.audioDeltaEvent());
        assertEquals("response.output_audio_transcript.done", Flavour.GA.transcriptDoneEvent());
        assertEquals("/v1/realtime/client_secrets", Flavour.GA.secretPath());
        assertNull(Flavour.GA.betaHeader());
        assertEquals("response.audio.delta", Flavour.BETA.audioDeltaEvent());
        assertEquals("response.audio_transcript.done", Flavour.BETA.transcriptDoneEvent());
        assertEquals("/v1/realtime/sessions", Flavour.BETA.secretPath());
        assertEquals("realtime=v1", Flavour.BETA.betaHeader());
    }
}
