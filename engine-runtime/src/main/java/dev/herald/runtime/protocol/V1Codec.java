package dev.herald.runtime.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * vsn 1.0.0: one JSON object per text frame. Outgoing objects carry only {@code topic}, {@code event},
 * {@code payload} and {@code ref} (never {@code join_ref}), as the Phoenix V1 serializer does.
 */
public final class V1Codec implements Codec {
    public static final V1Codec INSTANCE = new V1Codec();

    private V1Codec() {
    }

    @Override
    public ProtocolVersion version() {
        return ProtocolVersion.V1;
    }

    @Override
    public InboundMessage decode(String text) throws MalformedMessageException {
        JsonNode node;
        try {
            node = Json.read(text);
        } catch (IOException e) {
            throw new MalformedMessageException("invalid JSON");
        }
        if (node == null || !node.isObject()) throw new MalformedMessageException("expected a JSON object");
        for (String key : new String[] {"topic", "event", "payload", "ref"}) {
            if (!node.has(key)) throw new MalformedMessageException("missing key " + key);
        }
        JsonNode topic = node.get("topic");
        JsonNode event = node.get("event");
        if (!topic.isTextual() || !event.isTextual()) throw new MalformedMessageException("topic and event must be strings");
        return new InboundMessage(ref(node.get("join_ref")), ref(node.get("ref")), topic.asText(), event.asText(),
                node.get("payload"), null);
    }

    @Override
    public InboundMessage decode(ByteBuffer binary) throws MalformedMessageException {
        throw new MalformedMessageException("binary frames are not part of vsn 1.0.0");
    }

    @Override
    public Frame encode(String joinRef, String ref, String topic, String event, JsonNode payload) {
        return Frame.text(envelope(topic, event, Json.write(payload), ref));
    }

    @Override
    public Frame encodeUserBroadcast(String topic, UserBroadcast b) {
        if (!b.json()) return null;
        StringBuilder inner = new StringBuilder(b.payload().length + 64)
                .append("{\"type\":\"broadcast\",\"event\":").append(Json.quote(b.event()))
                .append(",\"payload\":").append(new String(b.payload(), StandardCharsets.UTF_8));
        if (b.metadata().length > 0) inner.append(",\"meta\":").append(new String(b.metadata(), StandardCharsets.UTF_8));
        inner.append('}');
        return Frame.text(envelope(topic, "broadcast", inner.toString(), null));
    }

    private static String envelope(String topic, String event, String payloadJson, String ref) {
        return new StringBuilder(payloadJson.length() + topic.length() + 64)
                .append("{\"topic\":").append(Json.quote(topic))
                .append(",\"event\":").append(Json.quote(event))
                .append(",\"payload\":").append(payloadJson)
                .append(",\"ref\":").append(Json.quote(ref))
                .append('}').toString();
    }

    static String ref(JsonNode n) {
        if (n == null || n.isNull()) return null;
        return n.isValueNode() ? n.asText() : n.toString();
    }
}
