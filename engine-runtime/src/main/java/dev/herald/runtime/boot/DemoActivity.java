package dev.herald.runtime.boot;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.auth.SecretStore;
import dev.herald.runtime.core.Connection;
import dev.herald.runtime.core.HandshakeVerdict;
import dev.herald.runtime.core.RealtimeSession;
import dev.herald.runtime.protocol.Json;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Demo mode ({@code HERALD_DEMO=true}): a few in-process clients join demo channels, track presence and broadcast at
 * a low rate (about three messages a second in all), so a first-time user sees live channels in the admin console.
 * The clients are ordinary sessions speaking the v1 protocol through the engine's own path, with connection ids
 * starting with {@code demo-}.
 */
public final class DemoActivity {
    private static final Logger LOG = LoggerFactory.getLogger(DemoActivity.class);
    public static final List<String> TOPICS = List.of("demo-lobby", "demo-orders", "demo-chat");
    private static final String[] USERS = {"ada", "grace", "linus", "barbara"};

    private final Engine engine;
    private final List<Client> clients = new ArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "herald-demo");
        t.setDaemon(true);
        return t;
    });
    private long ref;

    private record Client(String user, RealtimeSession session, List<String> topics) {
    }

    private DemoActivity(Engine engine) {
        this.engine = engine;
    }

    public static DemoActivity start(Engine engine, String jwtSecret) {
        DemoActivity demo = new DemoActivity(engine);
        String token = SecretStore.mintKey(jwtSecret, "anon", Duration.ofDays(3650));
        for (int i = 0; i < USERS.length; i++) {
            HandshakeVerdict verdict = engine.checkHandshake("1.0.0", token, null);
            if (!verdict.accepted()) {
                LOG.warn("demo mode: the demo clients cannot connect (limits?)");
                break;
            }
            RealtimeSession[] holder = new RealtimeSession[1];
            RealtimeSession s = engine.open(new DemoConnection("demo-" + USERS[i], () -> holder[0]), verdict);
            holder[0] = s;
            List<String> topics = List.of(TOPICS.get(0), TOPICS.get(1 + i % 2));
            Client c = new Client(USERS[i], s, topics);
            demo.clients.add(c);
            for (String topic : topics) demo.join(c, topic);
        }
        demo.timer.scheduleWithFixedDelay(demo::tick, 300, 300, TimeUnit.MILLISECONDS);
        demo.timer.scheduleWithFixedDelay(demo::heartbeat, 15, 15, TimeUnit.SECONDS);
        LOG.info("demo mode: {} clients on {}", demo.clients.size(), TOPICS);
        return demo;
    }

    private synchronized void join(Client c, String topic) {
        ObjectNode config = Json.object();
        config.putObject("broadcast").put("self", false);
        config.putObject("presence").put("key", c.user());
        ObjectNode payload = Json.object();
        payload.set("config", config);
        send(c, topic, "phx_join", payload);
        track(c, topic, "online");
    }

    private void track(Client c, String topic, String status) {
        ObjectNode meta = Json.object();
        meta.put("user", c.user());
        meta.put("status", status);
        ObjectNode p = Json.object();
        p.put("type", "presence");
        p.put("event", "track");
        p.set("payload", meta);
        send(c, topic, "presence", p);
    }

    private synchronized void tick() {
        try {
            if (engine.closing() || clients.isEmpty()) {
                timer.shutdown();
                return;
            }
            ThreadLocalRandom r = ThreadLocalRandom.current();
            Client c = clients.get(r.nextInt(clients.size()));
            String topic = c.topics().get(r.nextInt(c.topics().size()));
            if (r.nextInt(20) == 0) {
                track(c, topic, r.nextBoolean() ? "online" : "away");
                return;
            }
            ObjectNode inner = Json.object();
            inner.put("from", c.user());
            inner.put("n", r.nextInt(1000));
            ObjectNode p = Json.object();
            p.put("type", "broadcast");
            p.put("event", topic.equals("demo-orders") ? "order" : "message");
            p.set("payload", inner);
            send(c, topic, "broadcast", p);
        } catch (RuntimeException e) {
            LOG.debug("demo tick failed: {}", e.toString());
        }
    }

    private synchronized void heartbeat() {
        for (Client c : clients) {
            ObjectNode m = Json.object();
            m.put("topic", "phoenix");
            m.put("event", "heartbeat");
            m.set("payload", Json.object());
            m.put("ref", String.valueOf(++ref));
            c.session().onText(Json.write(m));
        }
    }

    private void send(Client c, String topic, String event, ObjectNode payload) {
        ObjectNode m = Json.object();
        m.put("topic", "realtime:" + topic);
        m.put("event", event);
        m.set("payload", payload);
        m.put("ref", String.valueOf(++ref));
        m.put("join_ref", "1");
        c.session().onText(Json.write(m));
    }

    /** A connection whose frames go nowhere; a close ends the session. */
    private static final class DemoConnection implements Connection {
        private final String id;
        private final Supplier<RealtimeSession> session;
        private volatile boolean closed;

        DemoConnection(String id, Supplier<RealtimeSession> session) {
            this.id = id;
            this.session = session;
        }

        @Override
        public void sendText(String text, Consumer<Throwable> done) {
            done.accept(null);
        }

        @Override
        public void sendBinary(ByteBuffer data, Consumer<Throwable> done) {
            done.accept(null);
        }

        @Override
        public void close(int code, String reason) {
            if (closed) return;
            closed = true;
            RealtimeSession s = session.get();
            if (s != null) s.onClosed();
        }

        @Override
        public String id() {
            return id;
        }
    }
}
