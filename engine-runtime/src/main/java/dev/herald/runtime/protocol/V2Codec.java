package dev.herald.runtime.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * vsn 2.0.0: text frames are JSON arrays {@code [join_ref, ref, topic, event, payload]}; user broadcasts travel in
 * binary frames, kind 3 from the client and kind 4 to it. All binary length fields are single unsigned bytes.
 */
public final class V2Codec implements Codec {
    public static final V2Codec INSTANCE = new V2Codec();

    static final int KIND_PUSH = 0;
    static final int KIND_USER_BROADCAST_PUSH = 3;
    static final int KIND_USER_BROADCAST = 4;
    private static final int MAX_FIELD = 255;

    private V2Codec() {
    }

    @Override
    public ProtocolVersion version() {
        return ProtocolVersion.V2;
    }

    @Override
    public InboundMessage decode(String text) throws MalformedMessageException {
        JsonNode node;
        try {
            node = Json.read(text);
        } catch (IOException e) {
            throw new MalformedMessageException("invalid JSON");
        }
        if (node == null || !node.isArray()) throw new MalformedMessageException("expected a JSON array");
        if (node.size() < 5) throw new MalformedMessageException("expected at least 5 array elements, got " + node.size());
        JsonNode topic = node.get(2);
        JsonNode event = node.get(3);
        if (!topic.isTextual() || !event.isTextual()) throw new MalformedMessageException("topic and event must be strings");
        return new InboundMessage(V1Codec.ref(node.get(0)), V1Codec.ref(node.get(1)), topic.asText(), event.asText(),
                node.get(4), null);
    }

    @Override
    public InboundMessage decode(ByteBuffer buf) throws MalformedMessageException {
        if (!buf.hasRemaining()) throw new MalformedMessageException("empty binary frame");
        int kind = buf.get(buf.position()) & 0xFF;
        if (kind != KIND_USER_BROADCAST_PUSH) throw new UnsupportedKindException(kind);
        if (buf.remaining() < 7) throw new MalformedMessageException("kind 3 header needs 7 bytes");
        ByteBuffer b = buf.slice();
        b.get();
        int joinRefLen = b.get() & 0xFF;
        int refLen = b.get() & 0xFF;
        int topicLen = b.get() & 0xFF;
        int eventLen = b.get() & 0xFF;
        int metaLen = b.get() & 0xFF;
        int encoding = b.get() & 0xFF;
        if (encoding > 1) throw new MalformedMessageException("unknown payload encoding " + encoding);
        if (b.remaining() < joinRefLen + refLen + topicLen + eventLen + metaLen) {
            throw new MalformedMessageException("kind 3 frame shorter than its header says");
        }
        String joinRef = utf8(b, joinRefLen);
        String ref = utf8(b, refLen);
        String topic = utf8(b, topicLen);
        String event = utf8(b, eventLen);
        byte[] meta = new byte[metaLen];
        b.get(meta);
        byte[] payload = new byte[b.remaining()];
        b.get(payload);
        return new InboundMessage(joinRef.isEmpty() ? null : joinRef, ref.isEmpty() ? null : ref, topic, "broadcast",
                null, new UserBroadcast(event, encoding == 1, payload, meta));
    }

    @Override
    public Frame encode(String joinRef, String ref, String topic, String event, JsonNode payload) {
        String p = Json.write(payload);
        return Frame.text(new StringBuilder(p.length() + topic.length() + 48).append('[')
                .append(Json.quote(joinRef)).append(',')
                .append(Json.quote(ref)).append(',')
                .append(Json.quote(topic)).append(',')
                .append(Json.quote(event)).append(',')
                .append(p).append(']').toString());
    }

    @Override
    public Frame encodeUserBroadcast(String topic, UserBroadcast b) {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        byte[] e = b.event().getBytes(StandardCharsets.UTF_8);
        byte[] m = b.metadata();
        if (t.length > MAX_FIELD || e.length > MAX_FIELD || m.length > MAX_FIELD) {
            // A kind-4 header cannot carry it; JSON can still go as a text frame, binary cannot go at all.
            return b.json() ? textUserBroadcast(topic, b) : null;
        }
        byte[] out = new byte[5 + t.length + e.length + m.length + b.payload().length];
        out[0] = KIND_USER_BROADCAST;
        out[1] = (byte) t.length;
        out[2] = (byte) e.length;
        out[3] = (byte) m.length;
        out[4] = (byte) (b.json() ? 1 : 0);
        int pos = 5;
        System.arraycopy(t, 0, out, pos, t.length);
        pos += t.length;
        System.arraycopy(e, 0, out, pos, e.length);
        pos += e.length;
        System.arraycopy(m, 0, out, pos, m.length);
        pos += m.length;
        System.arraycopy(b.payload(), 0, out, pos, b.payload().length);
        return Frame.binary(out);
    }

    private static Frame textUserBroadcast(String topic, UserBroadcast b) {
        StringBuilder sb = new StringBuilder(b.payload().length + topic.length() + 80)
                .append("[null,null,").append(Json.quote(topic)).append(",\"broadcast\",{\"type\":\"broadcast\",\"event\":")
                .append(Json.quote(b.event())).append(",\"payload\":").append(new String(b.payload(), StandardCharsets.UTF_8));
        if (b.metadata().length > 0) sb.append(",\"meta\":").append(new String(b.metadata(), StandardCharsets.UTF_8));
        return Frame.text(sb.append("}]").toString());
    }

    private static String utf8(ByteBuffer b, int len) {
        byte[] bytes = new byte[len];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A binary frame of a kind clients must not send (0, 1, 2 or unknown): dropped and counted. */
    public static final class UnsupportedKindException extends MalformedMessageException {
        private final int kind;

        UnsupportedKindException(int kind) {
            super("binary kind " + kind + " is not accepted from clients");
            this.kind = kind;
        }

        public int kind() {
            return kind;
        }
    }
}
