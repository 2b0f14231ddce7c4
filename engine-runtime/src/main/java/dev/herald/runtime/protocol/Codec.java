package dev.herald.runtime.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;

/**
 * Serializer for one protocol version (docs/wire-protocol.md, Frames). Stateless and thread-safe.
 */
public interface Codec {

    ProtocolVersion version();

    InboundMessage decode(String text) throws MalformedMessageException;

    InboundMessage decode(ByteBuffer binary) throws MalformedMessageException;

    /** A reply or channel push with a JSON payload. {@code joinRef}/{@code ref} may be null. */
    Frame encode(String joinRef, String ref, String topic, String event, JsonNode payload);

    /**
     * A fanned-out user broadcast as this version delivers it, or {@code null} when it cannot be delivered
     * (binary payload to vsn 1; a binary payload whose topic or event is too long for a kind-4 header).
     */
    Frame encodeUserBroadcast(String topic, UserBroadcast broadcast);

    static Codec of(ProtocolVersion version) {
        return version == ProtocolVersion.V1 ? V1Codec.INSTANCE : V2Codec.INSTANCE;
    }
}
