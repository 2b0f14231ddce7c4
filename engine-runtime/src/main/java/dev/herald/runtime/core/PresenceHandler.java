package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.api.ErrorCode;
import dev.herald.api.policy.ChannelAction;
import dev.herald.runtime.protocol.InboundMessage;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.Outbound;
import java.util.Locale;

/**
 * A client's {@code presence} push ({@code track} / {@code untrack}) and the presence leave of a channel that goes
 * away: updates the topic's {@link PresenceTracker} and fans the resulting {@code presence_diff} out to the topic's
 * presence-enabled channels, within the per-channel call rate and the node's presence event rate.
 *
 * <p>Threading: the socket thread (or the thread closing the session), under the session lock. Ordering: a
 * tracker's diffs are computed atomically; the diff of one call is published before the call is answered.
 * Stateless: one instance per engine.
 */
final class PresenceHandler {
    private final SessionContext context;

    PresenceHandler(SessionContext context) {
        this.context = context;
    }

    void presence(RealtimeSession session, Channel ch, InboundMessage m) {
        JsonNode payload = m.payload() == null ? Json.object() : m.payload();
        String event = payload.path("event").asText("").toLowerCase(Locale.ROOT);
        if (ch.presenceCalls().overLimit()) {
            session.dropOn(ch, ErrorCode.CLIENT_PRESENCE_RATE_LIMIT);
            session.shutdown(ch, ErrorCode.CLIENT_PRESENCE_RATE_LIMIT.message());
            return;
        }
        PresenceTracker tracker = context.presence.tracker(ch.key());
        switch (event) {
            case "track" -> track(session, ch, m, payload, tracker);
            case "untrack" -> {
                PresenceTracker.Diff diff = tracker.untrack(ch);
                if (diff != null) publishDiff(session, ch, diff);
                session.reply(m, "ok", Json.object());
            }
            default -> session.reply(m, "error", Json.object());
        }
    }

    private void track(RealtimeSession session, Channel ch, InboundMessage m, JsonNode payload, PresenceTracker tracker) {
        if (ch.rule() != null && !ch.rule().presenceAllowed()) {
            session.dropOn(ch, ErrorCode.CHANNEL_PRESENCE_NOT_ALLOWED);
            session.reply(m, "error", RealtimeSession.reason(ErrorCode.CHANNEL_PRESENCE_NOT_ALLOWED.reason(ch.subTopic())));
            return;
        }
        JsonNode meta = payload.has("payload") && !payload.get("payload").isNull() ? payload.get("payload") : Json.object();
        if (!meta.isObject()) {
            session.reply(m, "error", RealtimeSession.reason(ErrorCode.PRESENCE_PAYLOAD_NOT_MAP.reason()));
            return;
        }
        String bad = Json.unrepresentable(meta);
        if (bad != null) {
            session.refuseUnrepresentable(ch, bad);
            session.replyError(m, ErrorCode.PAYLOAD_NOT_REPRESENTABLE.reason(bad));
            return;
        }
        if (Json.writeBytes(meta).length > context.limits.settings().maxPayloadBytes()) {
            session.dropOn(ch, ErrorCode.TRACK_SIZE_EXCEEDED);
            session.shutdown(ch, ErrorCode.TRACK_SIZE_EXCEEDED.message());
            return;
        }
        if (ch.isPrivate()) {
            if (ch.presenceWrite() == null) {
                ChannelAccess access = context.channelAccess;
                ch.presenceWrite(access.allowed(ChannelAction.PRESENCE_WRITE, ch.subTopic(), ch.claims()));
                if (!ch.presenceEnabled()) {
                    ch.readRights(ch.broadcastRead(), access.allowed(ChannelAction.PRESENCE_READ, ch.subTopic(), ch.claims()));
                }
            }
            if (!ch.presenceWrite()) {
                session.dropOn(ch, ErrorCode.PRESENCE_WRITE_DENIED);
                session.reply(m, "error", Json.object());
                return;
            }
        }
        if (!ch.presenceEnabled()) ch.enablePresence();
        PresenceTracker.Diff diff = tracker.track(ch, (ObjectNode) meta);
        if (diff != null) publishDiff(session, ch, diff);
        session.reply(m, "ok", Json.object());
    }

    /** The channel is being torn down: its presences leave, and the topic's tracker is let go if now unused. */
    void leave(RealtimeSession session, Channel ch) {
        PresenceTracker tracker = context.presence.tracker(ch.key());
        PresenceTracker.Diff diff = tracker.untrack(ch);
        if (diff != null) publishDiff(session, ch, diff);
        context.presence.release(ch.key(), tracker);
    }

    private void publishDiff(RealtimeSession session, Channel ch, PresenceTracker.Diff diff) {
        int delivered = context.broker.publish(ch.key(), Outbound.push(ch.topic(), "presence_diff", diff.payload()), null, true);
        ch.stats().published();
        context.metrics.published();
        context.limits.countPresenceEvents(1 + delivered);
        if (context.limits.presenceOverLimit() && session.channel(ch.topic()) == ch) {
            session.dropOn(ch, ErrorCode.PRESENCE_EVENTS_RATE_LIMIT);
            session.shutdown(ch, ErrorCode.PRESENCE_EVENTS_RATE_LIMIT.message());
        }
    }
}
