package dev.herald.runtime.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.boot.EngineBootstrap;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** REST limits and validation, calling the resource directly (the HTTP path is covered by the wire suite). */
class BroadcastResourceTest {
    private Engine engine;

    @AfterEach
    void stop() {
        if (engine != null) engine.close();
    }

    private BroadcastResource resource(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(Map.of("HERALD_JWT_SECRET", Tokens.SECRET, "HERALD_CDC_ENABLED", "false"));
        all.putAll(env);
        engine = EngineBootstrap.start(HeraldConfig.load(all, new Properties()), EngineBootstrap.Hosting.STANDALONE);
        BroadcastResource r = new BroadcastResource.Gateway();
        r.engine = engine;
        return r;
    }

    private static byte[] batch(int n) {
        StringBuilder sb = new StringBuilder("{\"messages\":[");
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ",").append("{\"topic\":\"t\",\"event\":\"e\",\"payload\":{}}");
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void eventsLimitGives429WithSupabaseBodiesAndHeadersThenRecovers() throws Exception {
        BroadcastResource r = resource(Map.of("HERALD_LIMITS_MAX_EVENTS_PER_SECOND", "5", "HERALD_LIMITS_RATE_WINDOW_MS", "1000"));
        String auth = "Bearer " + Tokens.valid();
        Response tooBig = r.batch(auth, null, batch(10));
        assertEquals(429, tooBig.getStatus());
        assertEquals("{\"message\":\"Too many messages to broadcast, please reduce the batch size\"}", tooBig.getEntity());
        assertEquals("5", String.valueOf(tooBig.getHeaderString("x-rate-limit")));
        Response five = r.batch(auth, null, batch(4));
        assertEquals(202, five.getStatus(), String.valueOf(five.getEntity()));
        assertEquals(202, r.batch(auth, null, batch(1)).getStatus());
        Response over = r.batch(auth, null, batch(1));
        assertEquals(429, over.getStatus());
        assertEquals("{\"message\":\"You have exceeded your rate limit\"}", over.getEntity());
        assertEquals("0", over.getHeaderString("x-rate-limit-remaining"));
        Thread.sleep(1_200);
        assertEquals(202, r.batch(auth, null, batch(1)).getStatus());
    }

    @Test
    void restRequestRate() {
        BroadcastResource r = resource(Map.of("HERALD_LIMITS_REST_REQUESTS_PER_SECOND", "3", "HERALD_LIMITS_RATE_WINDOW_MS", "1000"));
        String auth = "Bearer " + Tokens.valid();
        for (int i = 0; i < 3; i++) assertEquals(202, r.batch(auth, null, batch(1)).getStatus());
        Response limited = r.batch(auth, null, batch(1));
        assertEquals(429, limited.getStatus());
        assertEquals("{\"message\":\"Too many requests\"}", limited.getEntity());
    }

    @Test
    void validationErrorsAre422AndNothingIsSent() {
        BroadcastResource r = resource(Map.of());
        String auth = "Bearer " + Tokens.valid();
        Response bad = r.batch(auth, null, "{\"messages\":[{\"topic\":\"\",\"event\":\"e\",\"payload\":1}]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(422, bad.getStatus());
        assertEquals("{\"errors\":{\"messages\":[{\"topic\":[\"can't be blank\"],\"payload\":[\"is invalid\"]}]}}", bad.getEntity());
        assertEquals(401, r.batch("Bearer nope", null, batch(1)).getStatus());
        assertEquals(400, r.batch(auth, null, "{".getBytes(StandardCharsets.UTF_8)).getStatus());
        // Valid JSON that no encoder can write back out: refused per message, counted, never a 500.
        Response huge = r.batch(auth, null, "{\"messages\":[{\"topic\":\"t\",\"event\":\"e\",\"payload\":{\"n\":1e99999}}]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(422, huge.getStatus());
        assertEquals("{\"errors\":{\"messages\":[{\"payload\":[\"The payload holds a value the protocol cannot carry: a number with exponent 99999 (at most 9999)\"]}]}}",
                huge.getEntity());
        assertEquals(1.0, engine.metrics().drops(ErrorCode.PAYLOAD_NOT_REPRESENTABLE));
    }

    @Test
    void singleEndpointPrivateSendsNeedWriteAndAreDeliveredWhenAllowed() {
        BroadcastResource r = resource(Map.of());
        Response anon = r.single("room", "e", "true", "application/json", "Bearer " + Tokens.valid(), null, "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(403, anon.getStatus());
        String service = Tokens.sign(Tokens.SECRET, Map.of("role", "service_role", "exp", System.currentTimeMillis() / 1000 + 60));
        double before = engine.metrics().drops(ErrorCode.BROADCAST_WRITE_DENIED);
        Response ok = r.single("room", "e", "true", "application/json", "Bearer " + service, null, "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(202, ok.getStatus());
        assertEquals(before, engine.metrics().drops(ErrorCode.BROADCAST_WRITE_DENIED), "an allowed send is not counted as denied");
    }
}
