package dev.herald.plugins.voice;

import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.ConfigKey.Type;
import dev.herald.api.plugin.PluginConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The voice plugin's configuration, checked once at boot. Immutable. {@link #toString()} never shows the API key.
 *
 * @param upstream the base URL of the OpenAI-Realtime-compatible service, without a trailing slash
 * @param flavour which dialect of the Realtime API it speaks
 * @param model the realtime model
 * @param voice the assistant's voice
 * @param instructions the system instructions of every session
 * @param transcriptionModel the model that transcribes the user's speech
 * @param vadThreshold server VAD activation threshold, 0..1
 * @param prefixPaddingMs audio kept before detected speech
 * @param silenceDurationMs silence that ends a turn
 * @param apiKey the server's API key, or null when none is configured (then sessions are refused)
 * @param maxSessionsPerUser concurrent relay sessions one user may hold
 * @param maxSessionSeconds how long one relay session may last
 * @param clientSecretSeconds lifetime of a minted client secret (GA only; the beta API fixes it)
 * @param connectTimeoutMs how long to wait for the upstream to accept a connection or answer a request
 * @param mintsPerUserPerMinute client secrets one user may have minted per minute (each is a paid upstream call)
 * @param mintsPerMinute client secrets all users together may have minted per minute
 * @param maxConcurrentMints mints waiting on the upstream at once; more answer 503 at once
 */
public record VoiceSettings(URI upstream, Flavour flavour, String model, String voice, String instructions,
                            String transcriptionModel, double vadThreshold, int prefixPaddingMs, int silenceDurationMs,
                            String apiKey, int maxSessionsPerUser, int maxSessionSeconds, int clientSecretSeconds,
                            int connectTimeoutMs, int mintsPerUserPerMinute, int mintsPerMinute, int maxConcurrentMints) {

    static final String UPSTREAM_URL = "upstream-url";
    static final String FLAVOUR = "flavour";
    static final String MODEL = "model";
    static final String VOICE = "voice";
    static final String INSTRUCTIONS = "instructions";
    static final String TRANSCRIPTION_MODEL = "transcription-model";
    static final String VAD_THRESHOLD = "vad-threshold";
    static final String VAD_PREFIX_PADDING_MS = "vad-prefix-padding-ms";
    static final String VAD_SILENCE_DURATION_MS = "vad-silence-duration-ms";
    static final String API_KEY = "api-key";
    static final String API_KEY_FILE = "api-key-file";
    static final String MAX_SESSIONS_PER_USER = "max-sessions-per-user";
    static final String MAX_SESSION_SECONDS = "max-session-seconds";
    static final String CLIENT_SECRET_SECONDS = "client-secret-seconds";
    static final String CONNECT_TIMEOUT_MS = "connect-timeout-ms";
    static final String MINTS_PER_USER_PER_MINUTE = "mints-per-user-per-minute";
    static final String MINTS_PER_MINUTE = "mints-per-minute";
    static final String MAX_CONCURRENT_MINTS = "max-concurrent-mints";

    /** Default models per flavour: the beta API only serves the preview models. */
    static final String GA_MODEL = "gpt-realtime";
    static final String BETA_MODEL = "gpt-4o-realtime-preview";

    /** The keys the plugin declares. */
    static List<ConfigKey> keys() {
        return List.of(
                ConfigKey.of(UPSTREAM_URL, Type.URL, "https://api.openai.com",
                        "Base URL of the OpenAI-Realtime-compatible service (REST and WebSocket, http(s) becomes ws(s))"),
                ConfigKey.of(FLAVOUR, Type.STRING, "ga",
                        "Realtime API dialect: ga (client_secrets, session.type, response.output_audio.*) or beta (sessions, OpenAI-Beta: realtime=v1, response.audio.*)"),
                ConfigKey.of(MODEL, Type.STRING, null, "Realtime model; default gpt-realtime (ga) or gpt-4o-realtime-preview (beta)"),
                ConfigKey.of(VOICE, Type.STRING, "alloy", "Voice of the assistant"),
                ConfigKey.of(INSTRUCTIONS, Type.STRING, "You are a helpful voice assistant. Answer briefly.",
                        "System instructions sent with every session"),
                ConfigKey.of(TRANSCRIPTION_MODEL, Type.STRING, "gpt-4o-mini-transcribe", "Model that transcribes the user's speech"),
                ConfigKey.of(VAD_THRESHOLD, Type.DECIMAL, "0.5", "Server VAD activation threshold, 0 to 1"),
                ConfigKey.of(VAD_PREFIX_PADDING_MS, Type.INTEGER, "300", "Server VAD: audio kept before detected speech, in ms"),
                ConfigKey.of(VAD_SILENCE_DURATION_MS, Type.INTEGER, "500", "Server VAD: silence that ends the user's turn, in ms"),
                ConfigKey.secret(API_KEY, "The server's API key for the upstream service; never sent to browsers, never logged"),
                ConfigKey.of(API_KEY_FILE, Type.STRING, null, "A file holding the API key (instead of " + API_KEY + "); surrounding whitespace is ignored"),
                ConfigKey.of(MAX_SESSIONS_PER_USER, Type.INTEGER, "2", "Concurrent relay sessions one user (JWT sub) may hold"),
                ConfigKey.of(MAX_SESSION_SECONDS, Type.INTEGER, "900", "Longest relay session, in seconds; both sides are closed then"),
                ConfigKey.of(CLIENT_SECRET_SECONDS, Type.INTEGER, "600", "Lifetime of a minted client secret, 10 to 7200 seconds (ga only)"),
                ConfigKey.of(CONNECT_TIMEOUT_MS, Type.INTEGER, "10000", "How long to wait for the upstream service to connect or answer, in ms"),
                ConfigKey.of(MINTS_PER_USER_PER_MINUTE, Type.INTEGER, "10", "Client secrets one user (JWT sub) may mint per minute (each is a paid upstream call); more answer 429"),
                ConfigKey.of(MINTS_PER_MINUTE, Type.INTEGER, "120", "Client secrets all users together may mint per minute; more answer 429"),
                ConfigKey.of(MAX_CONCURRENT_MINTS, Type.INTEGER, "8", "Mints waiting on the upstream at once (no request thread waits for them); more answer 503"));
    }

    /**
     * Reads and checks the configuration.
     *
     * @throws IllegalArgumentException with a message naming the offending key
     */
    static VoiceSettings from(PluginConfig config) {
        String url = config.string(UPSTREAM_URL).trim();
        while (url.endsWith("/")) url = url.substring(0, url.length() - 1);
        URI upstream = URI.create(url);
        if (upstream.getQuery() != null || upstream.getFragment() != null) {
            throw new IllegalArgumentException(config.describe(UPSTREAM_URL) + " must be a base URL without query or fragment");
        }
        Flavour flavour = Flavour.parse(config.string(FLAVOUR));
        if (flavour == null) {
            throw new IllegalArgumentException(config.describe(FLAVOUR) + " must be 'ga' or 'beta', not '" + config.string(FLAVOUR) + "'");
        }
        String model = nonBlank(config, MODEL, flavour == Flavour.GA ? GA_MODEL : BETA_MODEL);
        String voice = nonBlank(config, VOICE, null);
        String instructions = config.string(INSTRUCTIONS) == null ? "" : config.string(INSTRUCTIONS);
        String transcription = nonBlank(config, TRANSCRIPTION_MODEL, null);
        double threshold = config.decimal(VAD_THRESHOLD);
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException(config.describe(VAD_THRESHOLD) + " must be between 0 and 1");
        }
        int prefix = range(config, VAD_PREFIX_PADDING_MS, 0, 10_000);
        int silence = range(config, VAD_SILENCE_DURATION_MS, 0, 10_000);
        int perUser = range(config, MAX_SESSIONS_PER_USER, 1, 1000);
        int maxSeconds = range(config, MAX_SESSION_SECONDS, 1, 86_400);
        int secretSeconds = range(config, CLIENT_SECRET_SECONDS, 10, 7200);
        int connectTimeout = range(config, CONNECT_TIMEOUT_MS, 100, 120_000);
        int mintsPerUser = range(config, MINTS_PER_USER_PER_MINUTE, 1, 100_000);
        int mints = range(config, MINTS_PER_MINUTE, 1, 1_000_000);
        int concurrentMints = range(config, MAX_CONCURRENT_MINTS, 1, 10_000);
        return new VoiceSettings(upstream, flavour, model, voice, instructions, transcription, threshold, prefix, silence,
                apiKey(config), perUser, maxSeconds, secretSeconds, connectTimeout, mintsPerUser, mints, concurrentMints);
    }

    /** The key from {@code api-key} or {@code api-key-file} (not both), or null when neither is set. */
    private static String apiKey(PluginConfig config) {
        String direct = config.string(API_KEY);
        String file = config.string(API_KEY_FILE);
        boolean hasDirect = direct != null && !direct.isBlank();
        boolean hasFile = file != null && !file.isBlank();
        if (hasDirect && hasFile) {
            throw new IllegalArgumentException("set either " + config.describe(API_KEY) + " or " + config.describe(API_KEY_FILE) + ", not both");
        }
        if (hasDirect) return direct.trim();
        if (!hasFile) return null;
        String key;
        try {
            key = Files.readString(Path.of(file.trim()), StandardCharsets.UTF_8).trim();
        } catch (IOException | RuntimeException e) {
            // The message names the file, never its content.
            throw new IllegalArgumentException(config.describe(API_KEY_FILE) + ": cannot read " + file.trim() + " (" + e.getClass().getSimpleName() + ")");
        }
        if (key.isEmpty()) throw new IllegalArgumentException(config.describe(API_KEY_FILE) + ": " + file.trim() + " is empty");
        if (key.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new IllegalArgumentException(config.describe(API_KEY_FILE) + ": " + file.trim() + " must hold the key alone on one line");
        }
        return key;
    }

    private static String nonBlank(PluginConfig config, String key, String fallback) {
        String v = config.string(key);
        if (v == null || v.isBlank()) {
            if (fallback != null) return fallback;
            throw new IllegalArgumentException(config.describe(key) + " must not be empty");
        }
        return v.trim();
    }

    private static int range(PluginConfig config, String key, int min, int max) {
        long v = config.integer(key);
        if (v < min || v > max) throw new IllegalArgumentException(config.describe(key) + " must be between " + min + " and " + max);
        return (int) v;
    }

    /** Whether an API key is configured. */
    boolean hasApiKey() {
        return apiKey != null;
    }

    /** The upstream WebSocket URL of a realtime session: {@code ws(s)://<base>/v1/realtime?model=<model>}. */
    URI socketUri() {
        String scheme = "https".equalsIgnoreCase(upstream.getScheme()) ? "wss" : "ws";
        String base = upstream.toString().substring(upstream.getScheme().length());
        return URI.create(scheme + base + "/v1/realtime?model=" + URLEncoder.encode(model, StandardCharsets.UTF_8));
    }

    /** The URL that mints a client secret in this flavour. */
    URI secretUri() {
        return URI.create(upstream + flavour.secretPath());
    }

    @Override
    public String toString() {
        return "VoiceSettings[upstream=" + upstream + ", flavour=" + flavour + ", model=" + model + ", voice=" + voice
                + ", apiKey=" + (apiKey == null ? "none" : "***") + ", maxSessionsPerUser=" + maxSessionsPerUser
                + ", maxSessionSeconds=" + maxSessionSeconds + "]";
    }
}
