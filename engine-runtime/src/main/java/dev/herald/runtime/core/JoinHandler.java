package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.auth.TokenException;
import dev.herald.runtime.cdc.CdcService;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.protocol.InboundMessage;
import dev.herald.runtime.protocol.Json;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code phx_join}: checks a join in the order the reference server does (topic, shutdown, private-only, user,
 * join-rate and channel limits, token, private-channel read rights, channel rules), creates the {@link Channel},
 * replies, and starts its broadcast resume and its postgres_changes bindings.
 *
 * <p>Threading: {@link #join} runs on the socket thread under the session lock; the completions of binding
 * registration (on the change-capture subscription executor) take the session lock themselves and do nothing once
 * the channel is gone. Ordering: the join reply precedes the channel's {@code presence_state}, its replayed
 * broadcasts and its postgres_changes {@code system} message. Stateless: one instance per engine.
 */
final class JoinHandler {
    private final SessionContext context;

    JoinHandler(SessionContext context) {
        this.context = context;
    }

    void join(RealtimeSession session, InboundMessage m) {
        String topic = m.topic();
        if (!topic.startsWith(TopicKey.PREFIX)) {
            session.send(session.codec().encode(null, m.ref(), topic, "phx_reply",
                    RealtimeSession.status("error", RealtimeSession.reason(ErrorCode.UNMATCHED_TOPIC.reason()))));
            return;
        }
        Channel existing = session.channel(topic);
        if (existing != null) {
            // A second join on a joined topic replaces the first (the client ignores the old join_ref's close).
            session.push(existing, "phx_close", existing.joinRef(), Json.object());
            session.teardown(existing);
        }
        String name = topic.substring(TopicKey.PREFIX.length());
        if (name.isEmpty()) {
            session.replyError(m, ErrorCode.TOPIC_NAME_REQUIRED.reason());
            return;
        }
        if (!TopicKey.storable(name)) {
            refuse(session, m, ErrorCode.TOPIC_NAME_INVALID);
            return;
        }
        JoinRequest join = JoinRequest.parse(m.payload());
        if (context.closing.getAsBoolean()) {
            refuse(session, m, ErrorCode.REALTIME_RESTARTING);
            return;
        }
        if (context.config.privateOnly() && !join.isPrivate()) {
            refuse(session, m, ErrorCode.PRIVATE_ONLY);
            return;
        }
        Limits limits = context.limits;
        if (!session.countedAsUser() && limits.usersFull()) {
            refuse(session, m, ErrorCode.CONNECTION_RATE_LIMIT);
            return;
        }
        if (limits.joinOverLimit()) {
            refuse(session, m, ErrorCode.JOIN_RATE_LIMIT);
            // As on Supabase: the whole socket goes, to slow the client's reconnect loop down.
            session.disconnect(ErrorCode.JOIN_RATE_LIMIT, 1001, ErrorCode.JOIN_RATE_LIMIT.message());
            return;
        }
        int maxChannels = limits.settings().maxChannelsPerClient();
        if (maxChannels > 0 && session.channelCount() >= maxChannels) {
            refuse(session, m, ErrorCode.CHANNEL_RATE_LIMIT);
            return;
        }
        Claims claims;
        try {
            claims = channelClaims(session, join.accessToken());
        } catch (TokenException e) {
            session.replyError(m, e.reason());
            return;
        }
        boolean broadcastRead = true;
        boolean presenceRead = true;
        if (join.isPrivate()) {
            // Default deny: a private topic needs a policy that grants read (broadcast or, with presence, presence).
            ChannelAccess.ReadRights rights = context.channelAccess.readRights(name, claims, join.presenceEnabled());
            broadcastRead = rights.broadcast();
            presenceRead = rights.presence();
            if (!rights.any()) {
                context.metrics.drop(ErrorCode.UNAUTHORIZED_CHANNEL, name);
                context.activity.dropIfKnown(new TopicKey(true, name), ErrorCode.UNAUTHORIZED_CHANNEL);
                session.replyError(m, ErrorCode.UNAUTHORIZED_CHANNEL.reason(name));
                return;
            }
        }
        ChannelRules.Rule rule = context.channelRules.ruleFor(name, claims);
        ArrayNode subscribed = join.postgresChanges();
        if (rule != null && !subscribed.isEmpty()) {
            subscribed = Json.NODES.arrayNode();
            for (JsonNode b : join.postgresChanges()) {
                String schema = b.path("schema").asText("public");
                String table = b.path("table").asText("*");
                if (!rule.allowsTable(schema, table)) {
                    context.metrics.drop(ErrorCode.CHANNEL_TABLE_NOT_ALLOWED);
                    session.replyError(m, ErrorCode.CHANNEL_TABLE_NOT_ALLOWED.reason(name, schema + "." + table));
                    return;
                }
                ObjectNode effective = ((ObjectNode) b).deepCopy();
                String filter = rule.defaultFilter(schema, table);
                // The reply echoes the client's own binding (realtime-js compares it); only the subscription is narrowed.
                if (filter != null && b.path("filter").asText("").isEmpty()) effective.put("filter", filter);
                subscribed.add(effective);
            }
        }
        String joinRef = m.joinRef() != null ? m.joinRef() : m.ref();
        String presenceKey = join.presenceKey().isEmpty() ? UUID.randomUUID().toString() : join.presenceKey();
        Channel ch = new Channel(session, new TopicKey(join.isPrivate(), name), joinRef, join, presenceKey, claims);
        ch.readRights(broadcastRead, presenceRead);
        if (rule != null) ch.rule(rule, subscribed);
        session.add(ch);
        // A resuming channel subscribes right after its reply, together with its replay (see resumeBroadcast).
        if (join.resumeBroadcast() == null) context.broker.subscribe(ch);
        context.tokens.scheduleExpiry(session, ch);
        if (!ch.postgresChanges().isEmpty() && context.changes != null && join.waitForPostgres()) {
            // postgres_changes_options.wait: the reply waits until the bindings are live
            // (docs/wire-protocol.md, Waiting for the subscription).
            context.changes.subscribe(ch, claims, ch.subscribedChanges(), join.resumeChanges())
                    .orTimeout(join.waitTimeoutMs(), TimeUnit.MILLISECONDS)
                    .whenComplete((result, error) -> joinedAfterWait(session, ch, m, join, result, error));
            return;
        }
        replyJoined(session, ch, m);
        resumeBroadcast(session, ch, join);
        subscribePostgres(session, ch, claims, join.resumeChanges());
    }

    /** Herald's resume: the broadcasts missed since the client's last position, then live ones, no gap, no repeat. */
    private void resumeBroadcast(RealtimeSession session, Channel ch, JoinRequest join) {
        if (join.resumeBroadcast() == null) return;
        context.broadcasts.resume(ch, join.resumeBroadcast(), replay -> {
            replay.messages().forEach(ch::deliver);
            session.pushRecovery(ch, "broadcast", replay.recovered(), replay.messages().size());
        });
    }

    private void replyJoined(RealtimeSession session, Channel ch, InboundMessage m) {
        ObjectNode response = Json.object();
        response.set("postgres_changes", ch.postgresChanges());
        if (context.config.replayMaxMessages() > 0) {
            // Where this join starts, so a client that receives nothing before its next drop can still resume.
            ObjectNode pos = response.putObject("herald_pos");
            pos.put("broadcast", context.broadcasts.position(ch.key()));
            if (context.changes != null && !ch.postgresChanges().isEmpty()) pos.put("changes", context.changes.currentPosition());
        }
        session.reply(m, "ok", response);
        if (ch.presenceEnabled() && ch.presenceRead()) {
            session.push(ch, "presence_state", null, context.presence.tracker(ch.key()).state());
        }
    }

    private void joinedAfterWait(RealtimeSession session, Channel ch, InboundMessage m, JoinRequest join,
                                 CdcService.SubscribeResult result, Throwable error) {
        synchronized (session) {
            if (!session.holds(ch)) {
                if (context.changes != null) context.changes.unsubscribe(ch);
                return;
            }
            if (error != null || result == null) {
                session.teardown(ch);
                session.replyError(m, error instanceof TimeoutException
                        ? ErrorCode.POSTGRES_SUBSCRIBE_TIMEOUT.reason() : ErrorCode.POSTGRES_SUBSCRIBE_REFUSED.reason(String.valueOf(error)));
                return;
            }
            if (!result.ok()) {
                session.teardown(ch);
                session.replyError(m, ErrorCode.POSTGRES_SUBSCRIBE_REFUSED.reason(result.message()));
                return;
            }
            replyJoined(session, ch, m);
            resumeBroadcast(session, ch, join);
            pushPostgresSystem(session, ch, true, result.message());
        }
    }

    /** Registers the channel's postgres_changes bindings; the system message follows once they are live. */
    void subscribePostgres(RealtimeSession session, Channel ch, Claims claims, String resumeFrom) {
        if (ch.postgresChanges().isEmpty()) return;
        if (context.changes == null) {
            pushPostgresSystem(session, ch, false, ErrorCode.POSTGRES_CHANGES_DISABLED.message());
            return;
        }
        context.changes.subscribe(ch, claims, ch.subscribedChanges(), resumeFrom)
                .whenComplete((result, error) -> postgresSubscribed(session, ch, claims, result, error));
    }

    private void postgresSubscribed(RealtimeSession session, Channel ch, Claims claims, CdcService.SubscribeResult result, Throwable error) {
        synchronized (session) {
            if (!session.holds(ch)) {
                context.changes.unsubscribe(ch);
                return;
            }
            if (ch.claims() != claims) return; // a token refresh re-subscribed meanwhile; its result counts
            if (error != null) {
                pushPostgresSystem(session, ch, false, "Realtime was unable to connect to the project database");
                return;
            }
            pushPostgresSystem(session, ch, result.ok(), result.message());
        }
    }

    /** A binding of {@code ch} failed while a change was delivered: only this channel hears of it. */
    void bindingFailed(RealtimeSession session, Channel ch, Exception error) {
        synchronized (session) {
            if (context.changes != null) context.changes.unsubscribe(ch);
            if (!session.holds(ch)) return;
            session.dropOn(ch, ErrorCode.POSTGRES_BINDING_FAILED);
            pushPostgresSystem(session, ch, false, ErrorCode.POSTGRES_BINDING_FAILED.message(error.toString()));
        }
    }

    private static void pushPostgresSystem(RealtimeSession session, Channel ch, boolean ok, String message) {
        session.push(ch, "system", null, SystemMessages.postgresChanges(ch.subTopic(), ok, message));
    }

    private void refuse(RealtimeSession session, InboundMessage m, ErrorCode code) {
        context.metrics.drop(code);
        session.replyError(m, code.reason());
    }

    private Claims channelClaims(RealtimeSession session, String token) throws TokenException {
        if (token == null || token.startsWith("sb_")) {
            // No channel token (or a new-style API key): the connection's own token applies, re-checked for expiry.
            return context.verifier.verify(session.claims().token());
        }
        return context.verifier.verify(token);
    }
}
