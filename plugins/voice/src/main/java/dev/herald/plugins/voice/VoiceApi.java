package dev.herald.plugins.voice;

import dev.herald.api.ErrorCode;
import dev.herald.api.policy.Principal;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The REST API at {@code /plugins/voice}. One instance serves one request of one caller, whom Herald has already
 * verified (an invalid or missing token never reaches it); the {@link VoiceService} is shared and thread-safe.
 */
@Produces(MediaType.APPLICATION_JSON)
public final class VoiceApi {
    private final VoiceService service;
    private final Principal caller;

    VoiceApi(VoiceService service, Principal caller) {
        this.service = service;
        this.caller = caller;
    }

    /**
     * {@code POST /plugins/voice/session}: a short-lived client secret for connecting a browser straight to the
     * upstream service, minted with the server's key. The answer holds the secret, its expiry (seconds since the
     * epoch), the model and the voice; never the key. 403 without a signed-in user, 503 when no key is configured
     * or too many mints wait on the upstream, 429 over the per-user or global mint rate, 502 when the upstream fails.
     */
    @POST
    @Path("session")
    public void session(@Suspended AsyncResponse async) {
        if (caller.subject() == null) {
            throw new WebApplicationException(error(403, ErrorCode.PLUGIN_FORBIDDEN, "voice sessions belong to a signed-in user (the token has no sub)"));
        }
        VoiceSettings settings = service.settings();
        if (!settings.hasApiKey()) {
            throw new WebApplicationException(error(503, ErrorCode.PLUGIN_UNAVAILABLE,
                    "the voice service has no API key configured (HERALD_PLUGINS_VOICE_API_KEY or api-key-file)"));
        }
        MintLimiter.Refusal refused = service.mints().acquire(caller.subject());
        if (refused != null) {
            service.mintRefused();
            throw new WebApplicationException(switch (refused) {
                case USER_RATE -> error(429, ErrorCode.PLUGIN_RATE_LIMITED, "too many voice sessions minted by this user; at most "
                        + settings.mintsPerUserPerMinute() + " per minute");
                case GLOBAL_RATE -> error(429, ErrorCode.PLUGIN_RATE_LIMITED, "too many voice sessions minted; at most "
                        + settings.mintsPerMinute() + " per minute for everyone");
                case CONCURRENCY -> error(503, ErrorCode.PLUGIN_UNAVAILABLE, "too many voice sessions are being minted at once; retry shortly");
            });
        }
        // The upstream call runs on the HTTP client's threads: a slow upstream holds no request thread.
        CompletableFuture<ClientSecrets.ClientSecret> minted;
        try {
            minted = service.secrets().mintAsync();
        } catch (RuntimeException e) {
            service.mints().finished();
            service.upstream().failed("minting a client secret: the voice service could not be reached");
            throw new WebApplicationException(error(502, ErrorCode.PLUGIN_UNAVAILABLE, "the voice service could not be reached"));
        }
        minted.whenComplete((secret, error) -> {
            service.mints().finished();
            if (error == null) {
                service.upstream().succeeded();
                service.secretMinted();
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("client_secret", secret.value());
                body.put("expires_at", secret.expiresAt());
                body.put("model", settings.model());
                body.put("voice", settings.voice());
                async.resume(Response.ok(body, MediaType.APPLICATION_JSON).header("Cache-Control", "no-store").build());
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            String why = cause instanceof ClientSecrets.UpstreamException ? cause.getMessage() : "the voice service could not be reached";
            service.upstream().failed("minting a client secret: " + why);
            async.resume(error(502, ErrorCode.PLUGIN_UNAVAILABLE, why));
        });
    }

    private static Response error(int status, ErrorCode code, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(Map.of("error", code.code(), "message", code.message(message))).build();
    }
}
