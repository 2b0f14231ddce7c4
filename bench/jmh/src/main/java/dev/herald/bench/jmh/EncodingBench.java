package dev.herald.bench.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.protocol.Frame;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.Outbound;
import dev.herald.runtime.protocol.ProtocolVersion;
import dev.herald.runtime.protocol.UserBroadcast;
import dev.herald.runtime.protocol.V1Codec;
import dev.herald.runtime.protocol.V2Codec;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Outgoing frame encoding of a broadcast whose user payload is 100 bytes of JSON.
 *
 * <ul>
 *   <li>{@code v2TextBroadcast} / {@code v1TextBroadcast}: one JSON broadcast, as {@code Codec.encode} builds it.</li>
 *   <li>{@code v2Kind4Binary}: the same 100 bytes as a kind-4 binary user broadcast.</li>
 *   <li>{@code fanout1000*}: one broadcast to 1,000 vsn-2 recipients (one op = the whole fan-out). {@code SharedFrame}
 *       asks a fresh {@link Outbound} for its frame once per recipient, as sessions do (encoded on first use, then
 *       reused); {@code EncodePerRecipient} encodes it again for every recipient.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class EncodingBench {
    static final String TOPIC = "realtime:room:42";
    static final int RECIPIENTS = 1_000;
    static final int PAYLOAD_BYTES = 100;

    private JsonNode broadcast;
    private UserBroadcast userBroadcast;

    @Setup
    public void setup() throws Exception {
        String userPayload = userPayload(PAYLOAD_BYTES);
        // What a client's JSON broadcast push carries: {"type":"broadcast","event":..,"payload":{..}}.
        ObjectNode message = Json.object();
        message.put("type", "broadcast");
        message.put("event", "message");
        message.set("payload", Json.read(userPayload));
        broadcast = message;
        userBroadcast = new UserBroadcast("message", true, userPayload.getBytes(StandardCharsets.UTF_8), UserBroadcast.NO_METADATA);

        Frame text = V2Codec.INSTANCE.encode(null, null, TOPIC, "broadcast", broadcast);
        Frame binary = V2Codec.INSTANCE.encodeUserBroadcast(TOPIC, userBroadcast);
        if (!text.isText() || binary == null || binary.isText()) throw new IllegalStateException("unexpected frame kinds");
    }

    /** A JSON object of exactly {@code bytes} UTF-8 bytes. */
    static String userPayload(int bytes) {
        String head = "{\"user\":\"8d0f2c9e-4b1a-4c55-9d6e-3f1a2b3c4d5e\",\"text\":\"";
        String tail = "\"}";
        int fill = bytes - head.length() - tail.length();
        if (fill < 0) throw new IllegalArgumentException("payload too small");
        String s = head + "hello from the benchmark ".repeat(fill / 25 + 1).substring(0, fill) + tail;
        if (s.getBytes(StandardCharsets.UTF_8).length != bytes) throw new IllegalStateException("payload size");
        return s;
    }

    @Benchmark
    public Frame v2TextBroadcast() {
        return V2Codec.INSTANCE.encode(null, null, TOPIC, "broadcast", broadcast);
    }

    @Benchmark
    public Frame v1TextBroadcast() {
        return V1Codec.INSTANCE.encode(null, null, TOPIC, "broadcast", broadcast);
    }

    @Benchmark
    public Frame v2Kind4Binary() {
        return V2Codec.INSTANCE.encodeUserBroadcast(TOPIC, userBroadcast);
    }

    @Benchmark
    public void fanout1000SharedFrame(Blackhole bh) {
        Outbound out = Outbound.push(TOPIC, "broadcast", broadcast);
        for (int i = 0; i < RECIPIENTS; i++) bh.consume(out.frameFor(ProtocolVersion.V2));
    }

    @Benchmark
    public void fanout1000EncodePerRecipient(Blackhole bh) {
        for (int i = 0; i < RECIPIENTS; i++) bh.consume(V2Codec.INSTANCE.encode(null, null, TOPIC, "broadcast", broadcast));
    }
}
