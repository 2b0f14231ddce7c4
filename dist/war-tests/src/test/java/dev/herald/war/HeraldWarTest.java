package dev.herald.war;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Deploys the built {@code herald.war} on embedded GlassFish 7 and checks it as a black box on a fixed loopback port
 * (src/test/resources/glassfish/domain.xml): REST broadcast, a refused upgrade with a JSON body, and, run by Node,
 * the real {@code @supabase/realtime-js} client (heartbeat, join, broadcast) plus one frame above Tyrus' default
 * 4 MB buffer and one 6 MB frame that must close with 1009 and be counted (src/test/node/war-smoke.js).
 */
@ExtendWith({PostgresForWar.class, ArquillianExtension.class})
class HeraldWarTest {
    /** The context root is the WAR's name. */
    private static final String CONTEXT = "/herald";

    @Deployment(testable = false)
    static WebArchive war() {
        File file = new File(required("herald.war-test.file"));
        if (!file.isFile()) throw new IllegalStateException("WAR under test not found: " + file + " (build dist/war first)");
        // The example plugin goes in as an operator would add one to a WAR: a jar in WEB-INF/lib.
        return ShrinkWrap.create(ZipImporter.class, "herald.war").importFrom(file).as(WebArchive.class)
                .addAsLibrary(new File(required("herald.war-test.notes-jar")));
    }

    @Test
    @RunAsClient
    void realtimeClientAndRestAgainstDeployedWar() throws Exception {
        int port = Integer.parseInt(required("herald.war-test.port"));
        String base = "http://127.0.0.1:" + port + CONTEXT;
        String token = hs256(required("herald.jwt.secret"), "anon", Instant.now().plusSeconds(3600));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        // REST batch broadcast behind the gateway prefix.
        HttpResponse<String> rest = http.send(HttpRequest.newBuilder(URI.create(base + "/realtime/v1/api/broadcast"))
                        .timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"messages\":[{\"topic\":\"war-rest\",\"event\":\"e\",\"payload\":{\"n\":1}}]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, rest.statusCode(), "POST /realtime/v1/api/broadcast: " + rest.body());

        // Upgrade with a bad apikey: refused by the filter with 401 and a JSON body.
        RawResponse refused = rawUpgrade(port, CONTEXT + "/realtime/v1/websocket?apikey=not-a-jwt&vsn=2.0.0");
        assertEquals(401, refused.status, "bad-apikey upgrade: " + refused);
        assertTrue(refused.header("content-type").toLowerCase(Locale.ROOT).startsWith("application/json"), refused.toString());
        assertTrue(refused.body.matches("(?s)\\s*\\{\\s*\"error\"\\s*:\\s*\"[^\"]+\"\\s*}\\s*"), "body: " + refused.body);

        // A plugin's REST endpoint (Hibernate entities inside GlassFish) and its WebSocket endpoint.
        String user = hs256(required("herald.jwt.secret"), "authenticated", Instant.now().plusSeconds(3600), "war-user");
        HttpResponse<String> note = http.send(HttpRequest.newBuilder(URI.create(base + "/plugins/notes/notes"))
                        .timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Bearer " + user)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"topic\":\"war-rest\",\"body\":\"from the WAR test\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, note.statusCode(), "POST /plugins/notes/notes: " + note.body());
        assertTrue(note.body().contains("\"owner\":\"war-user\""), note.body());
        // A first-party plugin shipped inside the WAR answers too.
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/plugins/analytics/live-metrics"))
                        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + user).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode(), "GET /plugins/analytics/live-metrics: " + metrics.body());
        RawResponse anonymousPlugin = rawUpgrade(port, CONTEXT + "/plugins/notes/echo");
        assertEquals(401, anonymousPlugin.status, "plugin upgrade without a JWT: " + anonymousPlugin);
        RawResponse pluginSocket = rawUpgrade(port, CONTEXT + "/plugins/notes/echo?access_token=" + user);
        assertEquals(101, pluginSocket.status, "plugin upgrade with a JWT: " + pluginSocket);

        // The voice relay endpoint accepts an authenticated upgrade (no API key is configured here, so the relay then
        // tells the client so and closes; the upgrade itself is what this checks).
        RawResponse voice = rawUpgrade(port, CONTEXT + "/plugins/voice/relay?access_token=" + user);
        assertEquals(101, voice.status, "voice relay upgrade: " + voice);
        assertEquals(401, rawUpgrade(port, CONTEXT + "/plugins/voice/relay").status, "voice relay without a JWT");

        // The real client: heartbeat, join, broadcast between two clients, a postgres_change of a row the plugin
        // wrote; then one 4.5 MB frame on a raw socket.
        runNodeSmoke(base + "/realtime/v1", token, base, user);
    }

    private static void runNodeSmoke(String realtimeUrl, String token, String base, String userToken) throws Exception {
        Path script = Path.of(required("herald.war-test.node-script")).normalize();
        Path e2e = Path.of(required("herald.war-test.e2e-dir")).normalize();
        Path client = e2e.resolve("node_modules/@supabase/realtime-js/package.json");
        if (!Files.isRegularFile(client)) {
            fail("@supabase/realtime-js is not installed: " + client + " is missing. Run `npm ci` in e2e/ before this test.");
        }
        ProcessBuilder pb = new ProcessBuilder("node", script.toString()).redirectErrorStream(true);
        pb.environment().put("HERALD_URL", realtimeUrl);
        pb.environment().put("HERALD_TOKEN", token);
        pb.environment().put("HERALD_BASE", base);
        pb.environment().put("HERALD_USER_TOKEN", userToken);
        pb.environment().put("HERALD_E2E_DIR", e2e.toString());
        pb.environment().put("HERALD_TIMEOUT_MS", "60000");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            fail("Cannot run `node` (Node.js 20+ must be on the PATH for this test): " + e.getMessage());
            return;
        }
        p.getOutputStream().close();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = p.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(output unreadable: " + e + ")";
            }
        });
        if (!p.waitFor(75, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("node script did not finish within 75 s; output:\n" + output.get(5, TimeUnit.SECONDS));
        }
        String out = output.get(5, TimeUnit.SECONDS);
        System.out.println("[war-smoke.js]\n" + out.strip());
        assertEquals(0, p.exitValue(), "node war-smoke.js failed:\n" + out);
    }

    /** An HTTP/1.1 upgrade request over a plain socket (java.net.http does not let us set Upgrade). */
    private static RawResponse rawUpgrade(int port, String target) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            String req = "GET " + target + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + port + "\r\n"
                    + "Upgrade: websocket\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n";
            OutputStream out = s.getOutputStream();
            out.write(req.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int state = 0;
            while (state < 4) {
                int c = in.read();
                if (c < 0) break;
                head.write(c);
                state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            RawResponse r = new RawResponse();
            r.status = Integer.parseInt(lines[0].split(" ")[1]);
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) r.headers.add(new String[] {lines[i].substring(0, colon).strip(), lines[i].substring(colon + 1).strip()});
            }
            String len = r.header("content-length");
            if (!len.isEmpty()) {
                r.body = new String(in.readNBytes(Integer.parseInt(len)), StandardCharsets.UTF_8);
            } else if (r.header("transfer-encoding").equalsIgnoreCase("chunked")) {
                r.body = readChunked(in);
            }
            return r;
        }
    }

    private static String readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int size = Integer.parseInt(sizeLine.split(";")[0].strip(), 16);
            if (size == 0) break;
            body.write(in.readNBytes(size));
            readLine(in);
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') line.write(c);
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private static final class RawResponse {
        int status;
        final List<String[]> headers = new ArrayList<>();
        String body = "";

        String header(String name) {
            for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) return h[1];
            return "";
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("HTTP ").append(status);
            for (String[] h : headers) b.append("\n").append(h[0]).append(": ").append(h[1]);
            return b.append("\n\n").append(body).toString();
        }
    }

    /** A compact HS256 JWT; done by hand so no JOSE library lands on the (shared, parent-first) test classpath. */
    private static String hs256(String secret, String role, Instant exp) throws Exception {
        return hs256(secret, role, exp, null);
    }

    private static String hs256(String secret, String role, Instant exp, String sub) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        long now = Instant.now().getEpochSecond();
        String claims = "{\"role\":\"" + role + "\",\"iat\":" + now + ",\"exp\":" + exp.getEpochSecond()
                + (sub == null ? "" : ",\"sub\":\"" + sub + "\"") + "}";
        String payload = b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] sig = mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
        return header + "." + payload + "." + b64.encodeToString(sig);
    }

    static String required(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) throw new IllegalStateException("system property " + property + " is not set (run through Maven)");
        return v;
    }
}
