package dev.herald.standalone;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * {@code bin/herald status}'s readiness check, so it needs nothing but the Java that runs Herald: asks
 * {@code <url>/health/ready} and prints {@code ready: <body>} (exit 0), or why not (exit 1).
 */
public final class HealthProbe {
    private HealthProbe() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: HealthProbe <Herald URL, e.g. http://127.0.0.1:4000>");
            System.exit(2);
        }
        URI ready = URI.create(reachable(args[0]) + "/health/ready");
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                System.out.println("ready: " + response.body().strip());
                System.exit(0);
            }
            System.out.println("not ready (HTTP " + response.statusCode() + " from " + ready + "): " + response.body().strip());
        } catch (java.io.IOException e) {
            System.out.println("not answering at " + ready + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(1);
    }

    /** A server bound to every address (0.0.0.0, ::) is asked on loopback. */
    static String reachable(String url) {
        String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return u.replaceFirst("^http://0\\.0\\.0\\.0(?=[:/]|$)", "http://127.0.0.1").replaceFirst("^http://(::|\\[::\\])(?=:)", "http://[::1]");
    }
}
