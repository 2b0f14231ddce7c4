package dev.herald.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.cdc.ThreadAllocation;
import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.core.Connection;
import dev.herald.runtime.core.HandshakeVerdict;
import dev.herald.runtime.core.RealtimeSession;
import dev.herald.runtime.protocol.Json;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Bytes allocated on the broadcast fan-out path, counted with the JVM's per-thread allocation counters (not time), so
 * a change that adds allocation per recipient fails here. An engine with the shipped defaults (change capture off,
 * resume on in memory) fans server broadcasts (the REST and plugin entry, {@code Broadcasts.publishFromRest}) out
 * to R sessions joined to one topic, over a connection that accepts raw frames and completes every write inline, as
 * the standalone host's does.
 *
 * <p>Measured on the 2-core CI machine kind (Java 17, warmed up): 108 bytes per recipient at R=1000 for vsn 2 and for
 * vsn 1 (about 104 bytes marginal per recipient: the write-completion lambda, the queued-frame tag, two ByteBuffer
 * views of the shared wire frame); about 4.6 KB per message at R=10, of which about 3.5 KB is fixed per message
 * (the message and its position copy, one encoding, the wire frame, the replay entry). The bounds below are about
 * 1.5x those figures. To re-measure, run this test alone and read the lines it prints
 * ({@code mvn -pl engine-runtime test -Dtest=DeliveryAllocationTest}); the assertion messages print the measured value.
 */
class DeliveryAllocationTest {
    /** Upper bound of bytes allocated per recipient at R=1000 (total / (messages * recipients)). */
    static final long MAX_BYTES_PER_RECIPIENT = 160;
    /** Upper bound of bytes allocated per message at R=10, where the per-message fixed cost dominates. */
    static final long MAX_BYTES_PER_MESSAGE_FEW_RECIPIENTS = 7_000;
    private static final int RECIPIENTS = 1_000;
    private static final int FEW_RECIPIENTS = 10;
    private static final int MESSAGES = 2_000;

    private Engine engine;

    @AfterEach
    void stop() {
        if (engine != null) engine.close();
    }

    /** Accepts every write (framed or not), completes it inline and keeps nothing. */
    private static final class DiscardingConnection implements Connection {
        @Override
        public void sendText(String text, Consumer<Throwable> done) {
            done.accept(null);
        }

        @Override
        public void sendBinary(ByteBuffer data, Consumer<Throwable> done) {
            done.accept(null);
        }

        @Override
        public int framesPerWrite() {
            return 64;
        }

        @Override
        public void sendFrames(ByteBuffer[] frames, int count, Consumer<Throwable> done) {
            done.accept(null);
        }

        /** Set when the engine closes this connection: a slow-reader close mid-measurement would skew the figures. */
        volatile Integer closeCode;

        @Override
        public void close(int code, String reason) {
            if (closeCode == null) closeCode = code;
        }

        @Override
        public String id() {
            return "discarding";
        }
    }

    private static Engine shippedDefaults() {
        Map<String, String> env = new HashMap<>(Map.of("HERALD_JWT_SECRET", Tokens.SECRET, "HERALD_CDC_ENABLED", "false"));
        return EngineBootstrap.start(HeraldConfig.load(env, new Properties()), EngineBootstrap.Hosting.STANDALONE);
    }

    private final List<DiscardingConnection> connections = new ArrayList<>();

    private void joinAll(String vsn, String topic, int recipients) {
        for (int i = 0; i < recipients; i++) {
            HandshakeVerdict verdict = engine.checkHandshake(vsn, Tokens.valid(), null);
            assertTrue(verdict.accepted());
            DiscardingConnection connection = new DiscardingConnection();
            connections.add(connection);
            RealtimeSession session = engine.open(connection, verdict);
            String config = "{\"broadcast\":{\"ack\":false,\"self\":false},\"presence\":{\"key\":\"\",\"enabled\":false},\"postgres_changes\":[],\"private\":false}";
            session.onText(vsn.startsWith("2")
                    ? "[\"1\",\"1\",\"realtime:" + topic + "\",\"phx_join\",{\"config\":" + config + "}]"
                    : "{\"topic\":\"realtime:" + topic + "\",\"event\":\"phx_join\",\"payload\":{\"config\":" + config + "},\"ref\":\"1\",\"join_ref\":\"1\"}");
        }
    }

    /** A message of about 100 bytes, as in the fan-out benchmark. */
    private static ObjectNode payload() {
        return Json.object().put("body", "x".repeat(80)).put("n", 1);
    }

    /** Bytes allocated per message while publishing {@code messages} broadcasts to {@code topic}. */
    private double bytesPerMessage(String topic, int messages) {
        ObjectNode payload = payload();
        for (int i = 0; i < messages; i++) engine.broadcastJson(topic, false, "e", payload, null, null);
        long before = ThreadAllocation.total();
        for (int i = 0; i < messages; i++) engine.broadcastJson(topic, false, "e", payload, null, null);
        return (double) (ThreadAllocation.total() - before) / messages;
    }

    private void check(String vsn) {
        engine = shippedDefaults();
        joinAll(vsn, "many", RECIPIENTS);
        joinAll(vsn, "few", FEW_RECIPIENTS);
        // Warm up both topics before measuring either, so the JIT has compiled the path for both sizes.
        bytesPerMessage("many", MESSAGES);
        bytesPerMessage("few", MESSAGES * 5);
        double many = bytesPerMessage("many", MESSAGES);
        double few = bytesPerMessage("few", MESSAGES * 5);
        double perRecipient = many / RECIPIENTS;
        // Two fan-out sizes separate the per-recipient cost from the per-message one.
        double marginal = (many - few) / (RECIPIENTS - FEW_RECIPIENTS);
        double fixed = few - FEW_RECIPIENTS * marginal;
        String figures = String.format("vsn %s: %.0f bytes/recipient at R=%d (%.0f bytes/message); at R=%d %.0f bytes/message;"
                + " marginal %.0f bytes/recipient, fixed %.0f bytes/message", vsn, perRecipient, RECIPIENTS, many,
                FEW_RECIPIENTS, few, marginal, fixed);
        System.out.println(figures);
        for (DiscardingConnection c : connections) assertNull(c.closeCode, "a recipient was disconnected while measuring");
        assertTrue(perRecipient <= MAX_BYTES_PER_RECIPIENT, "fan-out allocates more per recipient than "
                + MAX_BYTES_PER_RECIPIENT + " bytes: " + figures);
        assertTrue(few <= MAX_BYTES_PER_MESSAGE_FEW_RECIPIENTS, "fan-out allocates more per message than "
                + MAX_BYTES_PER_MESSAGE_FEW_RECIPIENTS + " bytes at R=" + FEW_RECIPIENTS + ": " + figures);
    }

    @Test
    void vsn2FanOutAllocatesABoundedAmountPerRecipient() {
        check("2.0.0");
    }

    @Test
    void vsn1FanOutAllocatesABoundedAmountPerRecipient() {
        check("1.0.0");
    }
}
