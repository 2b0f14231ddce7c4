package dev.herald.runtime.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * A message fanned out to many connections. It is encoded at most once per protocol version, on first use, and the
 * resulting {@link Frame} is shared by every recipient of that version. Thread-safe.
 */
public final class Outbound {
    private final String topic;
    private final String event;
    private final JsonNode payload;
    private final UserBroadcast userBroadcast;
    private final Object lock = new Object();
    private Frame v1;
    private Frame v2;
    private boolean v1Encoded;
    private boolean v2Encoded;

    private Outbound(String topic, String event, JsonNode payload, UserBroadcast userBroadcast) {
        this.topic = topic;
        this.event = event;
        this.payload = payload;
        this.userBroadcast = userBroadcast;
    }

    /** A pushed message {@code [null, null, topic, event, payload]} (vsn 1: {@code ref: null}). */
    public static Outbound push(String topic, String event, JsonNode payload) {
        return new Outbound(topic, event, payload, null);
    }

    /** A user broadcast: kind 4 for vsn 2, a JSON broadcast for vsn 1 (binary payloads skip vsn 1). */
    public static Outbound userBroadcast(String topic, UserBroadcast broadcast) {
        return new Outbound(topic, "broadcast", null, broadcast);
    }

    public String topic() {
        return topic;
    }

    public String event() {
        return event;
    }

    /** The frame for this version, or {@code null} when this message cannot be delivered in it. */
    public Frame frameFor(ProtocolVersion version) {
        synchronized (lock) {
            if (version == ProtocolVersion.V1) {
                if (!v1Encoded) {
                    v1 = encode(Codec.of(version));
                    v1Encoded = true;
                }
                return v1;
            }
            if (!v2Encoded) {
                v2 = encode(Codec.of(version));
                v2Encoded = true;
            }
            return v2;
        }
    }

    /**
     * An estimate of the heap this message holds: its payload plus every frame encoded so far, each counted twice
     * (the encoded text or bytes, and the framed copy a raw-frame transport builds from it). Used to bound the memory
     * of what is kept for resume; it serialises the payload only when no frame has been encoded yet.
     */
    public long retainedBytes() {
        synchronized (lock) {
            long frames = 0;
            long largest = 0;
            for (Frame f : new Frame[] {v1, v2}) {
                if (f == null) continue;
                frames += 2L * f.size();
                largest = Math.max(largest, f.size());
            }
            long body;
            if (userBroadcast != null) body = (long) userBroadcast.payload().length + userBroadcast.metadata().length;
            else if (largest > 0) body = largest;
            else body = payload == null ? 0 : serializedSize(payload);
            return body + frames;
        }
    }

    private Frame encode(Codec codec) {
        return userBroadcast != null ? codec.encodeUserBroadcast(topic, userBroadcast)
                : codec.encode(null, null, topic, event, payload);
    }

    /** The UTF-8 JSON length of {@code node}, without keeping the bytes. */
    private static long serializedSize(JsonNode node) {
        long[] n = new long[1];
        OutputStream counter = new OutputStream() {
            @Override
            public void write(int b) {
                n[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                n[0] += len;
            }
        };
        try {
            Json.MAPPER.writeValue(counter, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n[0];
    }
}
