package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.auth.TokenException;
import dev.herald.runtime.protocol.InboundMessage;
import java.util.concurrent.TimeUnit;

/**
 * The token of each joined channel over its life: the expiry notice before it runs out, the close when it has
 * (after the clock-skew and grace allowances), and {@code access_token} refreshes, which re-judge a private
 * channel's rights and re-register its postgres_changes bindings with the new claims.
 *
 * <p>Threading: refreshes run on the socket thread under the session lock; the timers fire on the engine's timer
 * thread and take the session lock, doing nothing if the channel is gone or its token was replaced meanwhile.
 * Stateless: one instance per engine; the pending timers live on the {@link Channel}.
 */
final class TokenLifecycle {
    private final SessionContext context;

    TokenLifecycle(SessionContext context) {
        this.context = context;
    }

    /**
     * Schedules the channel's token expiry (after the clock skew and grace allowances) and, before it, a
     * {@code system} notice so the client can refresh its token in time.
     */
    void scheduleExpiry(RealtimeSession session, Channel ch) {
        Claims claims = ch.claims();
        long now = context.verifier.clock().millis();
        long closeAt = (claims.exp() + context.verifier.skewSeconds() + context.config.jwtExpiryGraceSeconds()) * 1000;
        ch.expiry(context.scheduler.schedule(() -> expire(session, ch, claims), Math.max(0, closeAt - now), TimeUnit.MILLISECONDS));
        long lead = context.config.jwtExpiryNoticeSeconds() * 1000;
        long noticeAt = claims.exp() * 1000 - lead;
        if (lead > 0 && noticeAt > now) {
            ch.expiryNotice(context.scheduler.schedule(() -> noticeExpiry(session, ch, claims), noticeAt - now, TimeUnit.MILLISECONDS));
        } else {
            ch.expiryNotice(null);
        }
    }

    private void noticeExpiry(RealtimeSession session, Channel ch, Claims scheduledFor) {
        synchronized (session) {
            if (!session.holds(ch) || ch.claims() != scheduledFor) return;
            long left = Math.max(0, scheduledFor.exp() - context.verifier.clock().millis() / 1000);
            session.push(ch, "system", null, SystemMessages.tokenExpiresSoon(ch.subTopic(), left));
        }
    }

    private void expire(RealtimeSession session, Channel ch, Claims scheduledFor) {
        synchronized (session) {
            if (!session.holds(ch) || ch.claims() != scheduledFor) return;
            long ago = Math.max(0, context.verifier.clock().millis() / 1000 - scheduledFor.exp());
            session.shutdown(ch, ErrorCode.TOKEN_EXPIRED.message(ago));
        }
    }

    /** {@code access_token}: adopts a new token for the channel, or ends the channel when it is invalid. */
    void refresh(RealtimeSession session, Channel ch, InboundMessage m) {
        JsonNode t = m.payload() == null ? null : m.payload().get("access_token");
        if (t == null || t.isNull()) return;
        String token = t.isTextual() ? t.asText() : t.toString();
        if (token.startsWith("sb_") || token.equals(ch.claims().token())) return;
        try {
            Claims claims = context.verifier.verify(token);
            if (ch.isPrivate()) {
                ChannelAccess.ReadRights rights = context.channelAccess.readRights(ch.subTopic(), claims, ch.presenceEnabled());
                if (!rights.any()) {
                    session.dropOn(ch, ErrorCode.READ_PERMISSION_REVOKED);
                    session.shutdown(ch, ErrorCode.READ_PERMISSION_REVOKED.message(ch.subTopic()));
                    return;
                }
                ch.readRights(rights.broadcast(), rights.presence());
                ch.broadcastWrite(null);
                ch.presenceWrite(null);
            }
            ch.claims(claims);
            scheduleExpiry(session, ch);
            // Bindings are re-registered with the new claims, and say so again (reference behaviour).
            context.joins.subscribePostgres(session, ch, claims, null);
        } catch (TokenException e) {
            session.shutdown(ch, e.text());
        }
    }
}
