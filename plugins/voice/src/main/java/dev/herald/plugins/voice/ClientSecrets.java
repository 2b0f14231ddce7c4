package dev.herald.plugins.voice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Mints short-lived client secrets at the upstream service with the server's key. Only the secret and its expiry
 * leave this class; what the upstream says on failure never does (its error messages can quote part of the key).
 * Thread-safe.
 */
final class ClientSecrets {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A minted secret. */
    record ClientSecret(String value, long expiresAt) {
        @Override
        public String toString() {
            return "ClientSecret[***, expiresAt=" + expiresAt + "]";
        }
    }

    /** The upstream could not be reached or refused; {@link #getMessage()} is safe to show to the caller. */
    static final class UpstreamException extends Exception {
        UpstreamException(String message) {
            super(message, null, false, false);
        }
    }

    private final VoiceSettings settings;
    private final HttpClient http;

    ClientSecrets(VoiceSettings settings, HttpClient http) {
        this.settings = settings;
        this.http = http;
    }

    /**
     * Asks the upstream for a client secret bound to the configured session, without blocking the caller: the
     * future completes on the HTTP client's threads, exceptionally with an {@link UpstreamException}. The caller has
     * checked a key exists.
     */
    CompletableFuture<ClientSecret> mintAsync() {
        Flavour flavour = settings.flavour();
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.secretUri())
                .timeout(Duration.ofMillis(settings.connectTimeoutMs()))
                .header("Authorization", "Bearer " + settings.apiKey())
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(flavour.secretRequest(settings).toString(), StandardCharsets.UTF_8));
        if (flavour.betaHeader() != null) request.header(Flavour.BETA_HEADER, flavour.betaHeader());
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((response, error) -> {
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                        throw new CompletionException(new UpstreamException(
                                "the voice service could not be reached (" + cause.getClass().getSimpleName() + ")"));
                    }
                    try {
                        return parse(flavour, response);
                    } catch (UpstreamException e) {
                        throw new CompletionException(e);
                    }
                });
    }

    private static ClientSecret parse(Flavour flavour, HttpResponse<String> response) throws UpstreamException {
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            body = null;
        }
        if (response.statusCode() / 100 != 2) {
            String code = body == null ? null : body.path("error").path("code").asText(null);
            boolean safeCode = code != null && code.matches("[a-z0-9_.]{1,64}");
            throw new UpstreamException("the voice service refused the request (HTTP " + response.statusCode()
                    + (safeCode ? ", " + code : "") + ")");
        }
        // GA answers {value, expires_at, session}; beta answers the session with {client_secret: {value, expires_at}}.
        JsonNode secret = body == null ? null : flavour == Flavour.GA ? body : body.path("client_secret");
        if (secret == null || !secret.path("value").isTextual() || secret.path("value").asText().isEmpty()
                || !secret.path("expires_at").canConvertToLong()) {
            throw new UpstreamException("the voice service answered without a client secret");
        }
        return new ClientSecret(secret.path("value").asText(), secret.path("expires_at").asLong());
    }
}
