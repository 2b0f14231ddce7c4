package dev.herald.bench.jmh;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.core.Channel;
import dev.herald.runtime.core.Connection;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.boot.EngineBootstrap;
import dev.herald.runtime.core.HandshakeVerdict;
import dev.herald.runtime.core.RealtimeSession;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A real {@link Engine} built through the public bootstrap (change capture off, no database), with sessions on
 * connections whose writes complete at once. Channels come from genuine {@code phx_join} frames.
 */
final class EngineFixture implements AutoCloseable {
    /** 48 bytes; only ever used inside the benchmark JVM. */
    static final String SECRET = "bench-only-hs256-secret-0123456789abcdef01234567";

    private static final Field SESSION_CHANNELS;

    static {
        try {
            // Channel has no public constructor and RealtimeSession exposes no lookup: the benchmark reads back the
            // Channel the engine itself created for a join. Nothing is constructed or mutated reflectively.
            SESSION_CHANNELS = RealtimeSession.class.getDeclaredField("channels");
            SESSION_CHANNELS.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("RealtimeSession.channels not found; update EngineFixture: " + e);
        }
    }

    final Engine engine;
    private final AtomicInteger ids = new AtomicInteger();
    private final List<NoopConnection> connections = new ArrayList<>();

    EngineFixture() {
        HeraldConfig config = HeraldConfig.load(Map.of(
                "HERALD_JWT_SECRET", SECRET,
                "HERALD_CDC_ENABLED", "false",
                // Long enough that no setup or measurement ever meets an idle close or a join-rate refusal.
                "HERALD_WS_IDLE_TIMEOUT_MS", "3600000",
                "HERALD_LIMITS_MAX_JOINS_PER_SECOND", "0"), new Properties());
        this.engine = EngineBootstrap.start(config, EngineBootstrap.Hosting.STANDALONE);
    }

    /** An HS256 access token for {@code sub} with role {@code authenticated}, valid for a day. */
    static String token(String sub) {
        try {
            JWTClaimsSet claims = new JWTClaimsSet.Builder()
                    .claim("role", "authenticated")
                    .subject(sub)
                    .claim("exp", System.currentTimeMillis() / 1000 + 86_400)
                    .build();
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
            jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A vsn 2.0.0 session authenticated with {@code token}. */
    RealtimeSession open(String token) {
        HandshakeVerdict verdict = engine.checkHandshake("2.0.0", token, null);
        if (!verdict.accepted()) throw new IllegalStateException("handshake refused: " + verdict.status() + " " + verdict.body());
        NoopConnection connection = new NoopConnection("bench-" + ids.incrementAndGet());
        connections.add(connection);
        return engine.open(connection, verdict);
    }

    /** Frames written to all connections so far. */
    long framesSent() {
        long n = 0;
        for (NoopConnection c : connections) n += c.frames;
        return n;
    }

    /** Connections the engine asked to close (idle timeout, slow consumer, write failure): should stay zero. */
    long closedConnections() {
        return connections.stream().filter(c -> c.closed).count();
    }

    /** Joins {@code realtime:<name>} with the given {@code config} JSON object and returns the engine's Channel. */
    static Channel join(RealtimeSession session, String name, String configJson) {
        String topic = "realtime:" + name;
        session.onText("[\"1\",\"1\",\"" + topic + "\",\"phx_join\",{\"config\":" + configJson + "}]");
        Channel ch = channel(session, topic);
        if (ch == null) throw new IllegalStateException("join of " + topic + " was refused");
        return ch;
    }

    @SuppressWarnings("unchecked")
    static Channel channel(RealtimeSession session, String topic) {
        try {
            synchronized (session) {
                return ((Map<String, Channel>) SESSION_CHANNELS.get(session)).get(topic);
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        engine.close();
    }

    /** A transport that accepts every frame immediately and counts what it was given. */
    static final class NoopConnection implements Connection {
        private final String id;
        volatile long frames;
        volatile boolean closed;

        NoopConnection(String id) {
            this.id = id;
        }

        @Override
        public void sendText(String text, Consumer<Throwable> done) {
            frames++;
            done.accept(null);
        }

        @Override
        public void sendBinary(ByteBuffer data, Consumer<Throwable> done) {
            frames++;
            done.accept(null);
        }

        @Override
        public void close(int code, String reason) {
            closed = true;
        }

        @Override
        public String id() {
            return id;
        }
    }
}
