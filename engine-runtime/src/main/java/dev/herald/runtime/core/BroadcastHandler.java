package dev.herald.runtime.core;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.ErrorCode;
import dev.herald.api.policy.ChannelAction;
import dev.herald.runtime.protocol.InboundMessage;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.MalformedMessageException;
import dev.herald.runtime.protocol.UserBroadcast;
import java.io.IOException;

/**
 * A client's {@code broadcast} push: checks the channel rule, the private channel's write right, the payload
 * (representable, within the size limit) and the event rate, then hands it to {@link Broadcasts}, the one publish
 * path, and acknowledges it when the channel asked for acks.
 *
 * <p>Threading: the socket thread, under the sender's session lock. Ordering: a sender's broadcasts are published in
 * the order it sent them. Stateless: one instance per engine.
 */
final class BroadcastHandler {
    private final SessionContext context;

    BroadcastHandler(SessionContext context) {
        this.context = context;
    }

    void broadcast(RealtimeSession session, Channel ch, InboundMessage m) {
        if (ch.rule() != null && !ch.rule().broadcastAllowed()) {
            session.dropOn(ch, ErrorCode.CHANNEL_BROADCAST_NOT_ALLOWED);
            if (ch.ack()) session.reply(m, "error", RealtimeSession.reason(ErrorCode.CHANNEL_BROADCAST_NOT_ALLOWED.reason(ch.subTopic())));
            return;
        }
        if (ch.isPrivate()) {
            if (ch.broadcastWrite() == null) ch.broadcastWrite(context.channelAccess.allowed(ChannelAction.BROADCAST_WRITE, ch.subTopic(), ch.claims()));
            if (!ch.broadcastWrite()) {
                // Silently dropped, no reply even with ack (the client's ack times out), as on Supabase.
                session.dropOn(ch, ErrorCode.BROADCAST_WRITE_DENIED);
                return;
            }
        }
        int maxPayload = context.limits.settings().maxPayloadBytes();
        int size;
        JsonNode jsonPayload = null;
        UserBroadcast user = null;
        if (m.userBroadcast() != null) {
            UserBroadcast in = m.userBroadcast();
            size = in.payload().length;
            if (size <= maxPayload && in.json() && !isJson(in.payload())) {
                session.dropMalformed(new MalformedMessageException("binary push declares a JSON payload that is not JSON"));
                if (ch.ack()) session.reply(m, "error", Json.object());
                return;
            }
            // Client metadata is not forwarded (reference behaviour); the position replaces it.
            user = in;
        } else {
            jsonPayload = m.payload();
            String bad = Json.unrepresentable(jsonPayload);
            if (bad != null) {
                session.refuseUnrepresentable(ch, bad);
                if (ch.ack()) session.replyError(m, ErrorCode.PAYLOAD_NOT_REPRESENTABLE.reason(bad));
                return;
            }
            size = payloadSize(jsonPayload);
        }
        if (size > maxPayload) {
            session.dropOn(ch, ErrorCode.PAYLOAD_SIZE_EXCEEDED);
            if (ch.ack()) session.send(session.codec().encode(m.joinRef(), m.ref(), m.topic(), "phx_reply",
                    RealtimeSession.status("error", Json.NODES.textNode(ErrorCode.PAYLOAD_SIZE_EXCEEDED.reason()))));
            return;
        }
        context.limits.countEvents(1);
        if (context.limits.eventsOverLimit()) {
            // Herald stops the sender, not every receiver as the reference server does.
            session.dropOn(ch, ErrorCode.EVENTS_RATE_LIMIT);
            session.shutdown(ch, ErrorCode.EVENTS_RATE_LIMIT.message());
            return;
        }
        int delivered = context.broadcasts.publish(ch.key(), jsonPayload, user, ch.self() ? null : ch);
        context.limits.countEvents(delivered);
        if (ch.ack()) session.reply(m, "ok", Json.object());
    }

    private static int payloadSize(JsonNode payload) {
        JsonNode inner = payload != null && payload.isObject() && payload.has("payload") ? payload.get("payload") : payload;
        return Json.writeBytes(inner == null ? Json.NODES.nullNode() : inner).length;
    }

    private static boolean isJson(byte[] bytes) {
        try (JsonParser p = Json.MAPPER.getFactory().createParser(bytes)) {
            if (p.nextToken() == null) return false;
            p.skipChildren();
            return p.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }
}
