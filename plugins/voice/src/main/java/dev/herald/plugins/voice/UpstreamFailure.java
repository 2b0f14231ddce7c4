package dev.herald.plugins.voice;

import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocketHandshakeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Words for why an upstream connection failed that are safe to show a browser: a status code or a kind, no text from the upstream. */
final class UpstreamFailure {
    private UpstreamFailure() {
    }

    static String describe(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
        if (t instanceof WebSocketHandshakeException h && h.getResponse() != null) return "HTTP " + h.getResponse().statusCode();
        if (t instanceof HttpTimeoutException) return "timed out";
        if (t instanceof ConnectException) return "connection refused";
        return t.getClass().getSimpleName();
    }
}
