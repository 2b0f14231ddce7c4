package dev.herald.plugins.voice;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * The two dialects of the OpenAI Realtime API the relay speaks upstream. They differ in the session shape, the
 * endpoint that mints client secrets, one header and the names of the output events; input events
 * ({@code input_audio_buffer.append}) and the transcription event of the user's speech are the same in both.
 */
public enum Flavour {
    /**
     * The generally available API: {@code POST /v1/realtime/client_secrets}, nested {@code session.audio},
     * {@code session.type = "realtime"}, {@code response.output_audio.delta} and
     * {@code response.output_audio_transcript.*}.
     */
    GA("/v1/realtime/client_secrets", null, "response.output_audio.delta", "response.output_audio_transcript.done"),
    /**
     * The beta API the seed apps were written against: {@code POST /v1/realtime/sessions} and the header
     * {@code OpenAI-Beta: realtime=v1}, flat session fields, {@code response.audio.delta} and
     * {@code response.audio_transcript.*}.
     */
    BETA("/v1/realtime/sessions", "realtime=v1", "response.audio.delta", "response.audio_transcript.done");

    /** The value of {@code OpenAI-Beta} on every upstream request of the beta flavour. */
    static final String BETA_HEADER = "OpenAI-Beta";

    /** Sent by the upstream once per connection, before it accepts a session update. */
    static final String SESSION_CREATED = "session.created";
    /** The user's speech, transcribed; the same name in both flavours. */
    static final String INPUT_TRANSCRIPTION_COMPLETED = "conversation.item.input_audio_transcription.completed";
    /** Audio the client appends; the same name in both flavours. */
    static final String INPUT_AUDIO_APPEND = "input_audio_buffer.append";

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final String secretPath;
    private final String betaHeader;
    private final String audioDeltaEvent;
    private final String transcriptDoneEvent;

    Flavour(String secretPath, String betaHeader, String audioDeltaEvent, String transcriptDoneEvent) {
        this.secretPath = secretPath;
        this.betaHeader = betaHeader;
        this.audioDeltaEvent = audioDeltaEvent;
        this.transcriptDoneEvent = transcriptDoneEvent;
    }

    /** Parses the configured name ({@code ga} or {@code beta}, any case); null when it is neither. */
    static Flavour parse(String name) {
        if (name == null) return null;
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "ga" -> GA;
            case "beta" -> BETA;
            default -> null;
        };
    }

    /** The path (below the upstream base URL) that mints a client secret. */
    String secretPath() {
        return secretPath;
    }

    /** The {@code OpenAI-Beta} header value, or null when the flavour sends none. */
    String betaHeader() {
        return betaHeader;
    }

    /** The server event that carries a chunk of the assistant's audio ({@code delta}, base64). */
    String audioDeltaEvent() {
        return audioDeltaEvent;
    }

    /** The server event that carries one finished segment of the assistant's transcript ({@code transcript}). */
    String transcriptDoneEvent() {
        return transcriptDoneEvent;
    }

    /**
     * The session configuration in this flavour's shape: the {@code session} object of {@code session.update}, and
     * (GA) of the client-secret request.
     */
    ObjectNode session(VoiceSettings s) {
        ObjectNode turnDetection = JSON.objectNode()
                .put("type", "server_vad")
                .put("threshold", s.vadThreshold())
                .put("prefix_padding_ms", s.prefixPaddingMs())
                .put("silence_duration_ms", s.silenceDurationMs());
        ObjectNode transcription = JSON.objectNode().put("model", s.transcriptionModel());
        ObjectNode session = JSON.objectNode();
        if (this == GA) {
            session.put("type", "realtime");
            session.put("model", s.model());
            session.put("instructions", s.instructions());
            ObjectNode audio = session.putObject("audio");
            ObjectNode input = audio.putObject("input");
            input.putObject("format").put("type", "audio/pcm").put("rate", 24000);
            input.set("transcription", transcription);
            input.set("turn_detection", turnDetection);
            ObjectNode output = audio.putObject("output");
            output.putObject("format").put("type", "audio/pcm").put("rate", 24000);
            output.put("voice", s.voice());
        } else {
            session.putArray("modalities").add("audio").add("text");
            session.put("instructions", s.instructions());
            session.put("voice", s.voice());
            session.put("input_audio_format", "pcm16");
            session.put("output_audio_format", "pcm16");
            session.set("input_audio_transcription", transcription);
            session.set("turn_detection", turnDetection);
        }
        return session;
    }

    /** The {@code session.update} client event the relay sends after {@code session.created}. */
    ObjectNode sessionUpdate(VoiceSettings s) {
        ObjectNode update = JSON.objectNode().put("type", "session.update");
        update.set("session", session(s));
        return update;
    }

    /** The body of the request that mints a client secret. */
    ObjectNode secretRequest(VoiceSettings s) {
        if (this == GA) {
            ObjectNode body = JSON.objectNode();
            body.putObject("expires_after").put("anchor", "created_at").put("seconds", s.clientSecretSeconds());
            body.set("session", session(s));
            return body;
        }
        // The beta endpoint takes the session fields at the top level, plus the model.
        ObjectNode body = JSON.objectNode().put("model", s.model());
        body.setAll(session(s));
        return body;
    }
}
