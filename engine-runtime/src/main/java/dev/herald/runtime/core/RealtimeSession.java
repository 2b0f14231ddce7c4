package dev.herald.runtime.core;

import dev.herald.runtime.metrics.ChannelStats;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.api.ErrorCode;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.auth.TokenException;
import dev.herald.runtime.cdc.CdcService;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.plugin.PluginChannels;
import dev.herald.runtime.policy.Principals;
import dev.herald.api.policy.ChannelAction;
import dev.herald.runtime.protocol.Codec;
import dev.herald.runtime.protocol.Frame;
import dev.herald.runtime.protocol.InboundMessage;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.MalformedMessageException;
import dev.herald.runtime.protocol.Outbound;
import dev.herald.runtime.protocol.ProtocolVersion;
import dev.herald.runtime.protocol.UserBroadcast;
import dev.herald.runtime.protocol.V2Codec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection speaking the Phoenix channel protocol: decodes frames, runs joins, leaves, broadcasts,
 * presence and token refreshes, and owns the connection's outbound queue.
 *
 * <p>Inbound handling is serialised by the session lock. Fan-out from other sessions only enters through
 * {@link #deliver}, which touches the outbound queue alone, so no thread ever holds two session locks.
 */
public final class RealtimeSession {
    private static final Logger LOG = LoggerFactory.getLogger(RealtimeSession.class);
    static final String PHOENIX = "phoenix";
    /** Start of the expiry notice text (a Herald addition; status ok, so clients treat it as information). */
    public static final String TOKEN_EXPIRES_SOON = SystemMessages.TOKEN_EXPIRES_SOON;

    private final Engine engine;
    private final Connection connection;
    private final Codec codec;
    private final Claims connectClaims;
    private final OutboundQueue outbound;
    private final Map<String, Channel> channels = new HashMap<>();
    private volatile long lastReceivedNanos = System.nanoTime();
    private volatile boolean closed;
    /** Set once the server decided to drop this connection; later writes and drops are not counted again. */
    private final AtomicBoolean disconnecting = new AtomicBoolean();
    /** Whether this connection counts as a user (it has at least one joined channel); guarded by the session lock. */
    private boolean countedAsUser;
    private final long openedAtMs = System.currentTimeMillis();

    RealtimeSession(Engine engine, Connection connection, ProtocolVersion version, Claims connectClaims) {
        this.engine = engine;
        this.connection = connection;
        this.codec = Codec.of(version);
        this.connectClaims = connectClaims;
        this.outbound = new OutboundQueue(connection, engine.limits().settings().outboundQueueMessages(),
                engine.config().outboundQueueBytes(), engine.outboundBudget(), new OutboundQueue.Listener() {
                    @Override
                    public void sent(Frame frame) {
                        engine.metrics().messageOut(frame.size());
                    }

                    @Override
                    public void sent(Frame frame, Object tag) {
                        sent(frame);
                        if (tag instanceof Queued q) {
                            long nanos = System.nanoTime() - q.atNanos();
                            q.stats().delivered(nanos);
                            engine.metrics().delivered(nanos);
                        }
                    }

                    @Override
                    public void failed(Throwable error) {
                        LOG.debug("write to {} failed: {}", connection.id(), error.toString());
                        connection.close(1011, "write failed");
                    }
                });
    }

    Engine engine() {
        return engine;
    }

    public ProtocolVersion version() {
        return codec.version();
    }

    public String id() {
        return connection.id();
    }

    public int queueDepth() {
        return outbound.depth();
    }

    // ---- inbound ------------------------------------------------------------------------------------------------

    public void onText(String text) {
        if (!received(text.length() > engine.config().wsMaxFrameBytes() / 3 ? Frame.text(text).size() : text.length())) return;
        InboundMessage m;
        try {
            m = codec.decode(text);
        } catch (MalformedMessageException e) {
            dropMalformed(e);
            return;
        }
        handle(m);
    }

    public void onBinary(ByteBuffer data) {
        if (!received(data.remaining())) return;
        InboundMessage m;
        try {
            m = codec.decode(data);
        } catch (V2Codec.UnsupportedKindException e) {
            engine.metrics().drop(ErrorCode.UNSUPPORTED_BINARY_KIND);
            LOG.info("{}: {}", id(), ErrorCode.UNSUPPORTED_BINARY_KIND.reason(e.kind()));
            return;
        } catch (MalformedMessageException e) {
            dropMalformed(e);
            return;
        }
        handle(m);
    }

    private boolean received(int bytes) {
        lastReceivedNanos = System.nanoTime();
        engine.metrics().messageIn();
        engine.metrics().bytesIn(bytes);
        if (bytes > engine.config().wsMaxFrameBytes()) {
            disconnect(ErrorCode.FRAME_TOO_LARGE, 1009, "frame too large", engine.config().wsMaxFrameBytes());
            return false;
        }
        return true;
    }

    /**
     * The container refused an incoming frame or message as too large before this session saw it (its buffers stop a
     * frame without holding all of it). Counts it once as {@code frame_too_large}; when this returns true the caller
     * closes the socket with 1009 at once, before the container closes it with a code of its own.
     */
    public boolean refusedAsTooLarge() {
        if (closed || !disconnecting.compareAndSet(false, true)) return false;
        engine.metrics().drop(ErrorCode.FRAME_TOO_LARGE);
        LOG.info("{}: disconnecting, {}", id(), ErrorCode.FRAME_TOO_LARGE.message(engine.config().wsMaxFrameBytes()));
        return true;
    }

    private void dropMalformed(MalformedMessageException e) {
        engine.metrics().drop(ErrorCode.MALFORMED_MESSAGE);
        LOG.info("{}: {}", id(), ErrorCode.MALFORMED_MESSAGE.reason(e.getMessage()));
    }

    synchronized void handle(InboundMessage m) {
        if (closed) return;
        if (PHOENIX.equals(m.topic())) {
            if ("heartbeat".equals(m.event())) reply(m, "ok", Json.object());
            else replyUnmatched(m);
            return;
        }
        if ("phx_join".equals(m.event())) {
            join(m);
            return;
        }
        Channel ch = channels.get(m.topic());
        if (ch == null) {
            if ("phx_leave".equals(m.event())) reply(m, "ok", Json.object());
            else replyUnmatched(m);
            return;
        }
        // Routed by topic alone: a stale or missing join_ref still reaches the channel (reference leniency).
        switch (m.event()) {
            case "phx_leave" -> leave(ch, m);
            case "broadcast" -> broadcast(ch, m);
            case "presence" -> presence(ch, m);
            case "access_token" -> accessToken(ch, m);
            default -> {
                engine.metrics().drop(ErrorCode.UNKNOWN_EVENT);
                LOG.debug("{}: {}", id(), ErrorCode.UNKNOWN_EVENT.reason(m.event()));
            }
        }
    }

    // ---- join / leave -------------------------------------------------------------------------------------------

    private void join(InboundMessage m) {
        String topic = m.topic();
        if (!topic.startsWith(TopicKey.PREFIX)) {
            send(codec.encode(null, m.ref(), topic, "phx_reply", status("error", reason(ErrorCode.UNMATCHED_TOPIC.reason()))));
            return;
        }
        Channel existing = channels.get(topic);
        if (existing != null) {
            // A second join on a joined topic replaces the first (the client ignores the old join_ref's close).
            push(existing, "phx_close", existing.joinRef(), Json.object());
            teardown(existing);
        }
        String name = topic.substring(TopicKey.PREFIX.length());
        if (name.isEmpty()) {
            replyError(m, ErrorCode.TOPIC_NAME_REQUIRED.reason());
            return;
        }
        JoinRequest join = JoinRequest.parse(m.payload());
        if (engine.closing()) {
            refuseJoin(m, ErrorCode.REALTIME_RESTARTING);
            return;
        }
        if (engine.config().privateOnly() && !join.isPrivate()) {
            refuseJoin(m, ErrorCode.PRIVATE_ONLY);
            return;
        }
        Limits limits = engine.limits();
        if (!countedAsUser && limits.usersFull()) {
            refuseJoin(m, ErrorCode.CONNECTION_RATE_LIMIT);
            return;
        }
        if (limits.joinOverLimit()) {
            refuseJoin(m, ErrorCode.JOIN_RATE_LIMIT);
            // As on Supabase: the whole socket goes, to slow the client's reconnect loop down.
            disconnect(ErrorCode.JOIN_RATE_LIMIT, 1001, ErrorCode.JOIN_RATE_LIMIT.message());
            return;
        }
        int maxChannels = limits.settings().maxChannelsPerClient();
        if (maxChannels > 0 && channels.size() >= maxChannels) {
            refuseJoin(m, ErrorCode.CHANNEL_RATE_LIMIT);
            return;
        }
        Claims claims;
        try {
            claims = channelClaims(join.accessToken());
        } catch (TokenException e) {
            replyError(m, e.reason());
            return;
        }
        boolean broadcastRead = true;
        boolean presenceRead = true;
        if (join.isPrivate()) {
            // Default deny: a private topic needs a policy that grants read (broadcast or, with presence, presence).
            ChannelAccess.ReadRights rights = engine.channelAccess().readRights(name, claims, join.presenceEnabled());
            broadcastRead = rights.broadcast();
            presenceRead = rights.presence();
            if (!rights.any()) {
                engine.metrics().drop(ErrorCode.UNAUTHORIZED_CHANNEL, name);
                engine.activity().dropIfKnown(new TopicKey(true, name), ErrorCode.UNAUTHORIZED_CHANNEL);
                replyError(m, ErrorCode.UNAUTHORIZED_CHANNEL.reason(name));
                return;
            }
        }
        PluginChannels.Rules rules = engine.plugins().channels().isEmpty() ? null : engine.plugins().channels().rulesFor(name, Principals.of(claims));
        ArrayNode subscribed = join.postgresChanges();
        if (rules != null && !subscribed.isEmpty()) {
            subscribed = Json.NODES.arrayNode();
            for (JsonNode b : join.postgresChanges()) {
                String schema = b.path("schema").asText("public");
                String table = b.path("table").asText("*");
                if (!rules.allowsTable(schema, table)) {
                    engine.metrics().drop(ErrorCode.CHANNEL_TABLE_NOT_ALLOWED);
                    replyError(m, ErrorCode.CHANNEL_TABLE_NOT_ALLOWED.reason(name, schema + "." + table));
                    return;
                }
                ObjectNode effective = ((ObjectNode) b).deepCopy();
                String filter = rules.defaultFilter(schema, table);
                // The reply echoes the client's own binding (realtime-js compares it); only the subscription is narrowed.
                if (filter != null && b.path("filter").asText("").isEmpty()) effective.put("filter", filter);
                subscribed.add(effective);
            }
        }
        String joinRef = m.joinRef() != null ? m.joinRef() : m.ref();
        String presenceKey = join.presenceKey().isEmpty() ? UUID.randomUUID().toString() : join.presenceKey();
        Channel ch = new Channel(this, new TopicKey(join.isPrivate(), name), joinRef, join, presenceKey, claims);
        ch.readRights(broadcastRead, presenceRead);
        if (rules != null) ch.pluginRules(rules, subscribed);
        channels.put(topic, ch);
        if (!countedAsUser) {
            countedAsUser = true;
            limits.userJoined();
        }
        engine.metrics().channelJoined();
        // A resuming channel subscribes right after its reply, together with its replay (see resumeBroadcast).
        if (join.resumeBroadcast() == null) engine.broker().subscribe(ch);
        scheduleExpiry(ch);
        if (!ch.postgresChanges().isEmpty() && engine.cdc() != null && join.waitForPostgres()) {
            // postgres_changes_options.wait: the reply waits until the bindings are live (protocol.md §3.10).
            engine.cdc().subscribe(ch, claims, ch.subscribedChanges(), join.resumeChanges())
                    .orTimeout(join.waitTimeoutMs(), TimeUnit.MILLISECONDS)
                    .whenComplete((result, error) -> joinedAfterWait(ch, m, join, result, error));
            return;
        }
        replyJoined(ch, m);
        resumeBroadcast(ch, join);
        subscribePostgres(ch, claims, join.resumeChanges());
    }

    /** Herald's resume: the broadcasts missed since the client's last position, then live ones, no gap, no repeat. */
    private void resumeBroadcast(Channel ch, JoinRequest join) {
        if (join.resumeBroadcast() == null) return;
        engine.resumeBroadcast(ch, join.resumeBroadcast(), replay -> {
            replay.messages().forEach(ch::deliver);
            pushRecovery(ch, "broadcast", replay.recovered(), replay.messages().size());
        });
    }

    /** Pushes a recovery notice; thread-safe, so the change feed can send it right after its replay. */
    public void pushRecovery(Channel ch, String stream, boolean recovered, int count) {
        push(ch, "system", null, SystemMessages.recovery(ch.subTopic(), stream, recovered, count));
    }

    private void replyJoined(Channel ch, InboundMessage m) {
        ObjectNode response = Json.object();
        response.set("postgres_changes", ch.postgresChanges());
        if (engine.config().replayMaxMessages() > 0) {
            // Where this join starts, so a client that receives nothing before its next drop can still resume.
            ObjectNode pos = response.putObject("herald_pos");
            pos.put("broadcast", engine.broadcastPosition(ch.key()));
            if (engine.cdc() != null && !ch.postgresChanges().isEmpty()) pos.put("changes", engine.cdc().currentPosition());
        }
        reply(m, "ok", response);
        if (ch.presenceEnabled() && ch.presenceRead()) push(ch, "presence_state", null, engine.presence(ch.key()).state());
    }

    private synchronized void joinedAfterWait(Channel ch, InboundMessage m, JoinRequest join, CdcService.SubscribeResult result, Throwable error) {
        if (closed || channels.get(ch.topic()) != ch) {
            if (engine.cdc() != null) engine.cdc().unsubscribe(ch);
            return;
        }
        if (error != null || result == null) {
            teardown(ch);
            replyError(m, error instanceof TimeoutException
                    ? ErrorCode.POSTGRES_SUBSCRIBE_TIMEOUT.reason() : ErrorCode.POSTGRES_SUBSCRIBE_REFUSED.reason(String.valueOf(error)));
            return;
        }
        if (!result.ok()) {
            teardown(ch);
            replyError(m, ErrorCode.POSTGRES_SUBSCRIBE_REFUSED.reason(result.message()));
            return;
        }
        replyJoined(ch, m);
        resumeBroadcast(ch, join);
        pushPostgresSystem(ch, true, result.message());
    }

    /** Registers the channel's postgres_changes bindings; the system message follows once they are live. */
    private void subscribePostgres(Channel ch, Claims claims, String resumeFrom) {
        if (ch.postgresChanges().isEmpty()) return;
        if (engine.cdc() == null) {
            pushPostgresSystem(ch, false, ErrorCode.POSTGRES_CHANGES_DISABLED.message());
            return;
        }
        engine.cdc().subscribe(ch, claims, ch.subscribedChanges(), resumeFrom).whenComplete((result, error) -> postgresSubscribed(ch, claims, result, error));
    }

    private synchronized void postgresSubscribed(Channel ch, Claims claims, CdcService.SubscribeResult result, Throwable error) {
        if (closed || channels.get(ch.topic()) != ch) {
            engine.cdc().unsubscribe(ch);
            return;
        }
        if (ch.claims() != claims) return; // a token refresh re-subscribed meanwhile; its result counts
        if (error != null) {
            pushPostgresSystem(ch, false, "Realtime was unable to connect to the project database");
            return;
        }
        pushPostgresSystem(ch, result.ok(), result.message());
    }

    /** A binding of this channel failed while a change was delivered: only this channel hears of it. */
    public synchronized void postgresBindingFailed(Channel ch, Exception error) {
        if (engine.cdc() != null) engine.cdc().unsubscribe(ch);
        if (closed || channels.get(ch.topic()) != ch) return;
        dropOn(ch, ErrorCode.POSTGRES_BINDING_FAILED);
        pushPostgresSystem(ch, false, ErrorCode.POSTGRES_BINDING_FAILED.message(error.toString()));
    }

    private void pushPostgresSystem(Channel ch, boolean ok, String message) {
        push(ch, "system", null, SystemMessages.postgresChanges(ch.subTopic(), ok, message));
    }

    private void refuseJoin(InboundMessage m, ErrorCode code) {
        engine.metrics().drop(code);
        replyError(m, code.reason());
    }

    private Claims channelClaims(String token) throws TokenException {
        if (token == null || token.startsWith("sb_")) {
            // No channel token (or a new-style API key): the connection's own token applies, re-checked for expiry.
            return engine.verifier().verify(connectClaims.token());
        }
        return engine.verifier().verify(token);
    }

    private void leave(Channel ch, InboundMessage m) {
        // Torn down before the reply: a client that has seen "ok" finds the channel, its user slot and its presence
        // already released (the next upgrade or join is judged without it).
        teardown(ch);
        reply(m, "ok", Json.object());
        push(ch, "phx_close", ch.joinRef(), Json.object());
    }

    /** Ends a channel with a reason the client sees: a {@code system} error, then {@code phx_close}. */
    void shutdown(Channel ch, String message) {
        push(ch, "system", null, SystemMessages.channelError(ch.subTopic(), message));
        push(ch, "phx_close", ch.joinRef(), Json.object());
        teardown(ch);
    }

    private void teardown(Channel ch) {
        if (!channels.remove(ch.topic(), ch)) return;
        ch.expiry(null);
        ch.expiryNotice(null);
        if (engine.cdc() != null) engine.cdc().unsubscribe(ch);
        engine.broker().unsubscribe(ch);
        engine.metrics().channelLeft();
        if (channels.isEmpty() && countedAsUser) {
            countedAsUser = false;
            engine.limits().userLeft();
        }
        PresenceTracker tracker = engine.presence(ch.key());
        PresenceTracker.Diff diff = tracker.untrack(ch);
        if (diff != null) publishPresenceDiff(ch, diff);
        engine.releasePresence(ch.key(), tracker);
    }

    /**
     * Schedules the channel's token expiry (after the clock skew and grace allowances) and, before it, a
     * {@code system} notice so the client can refresh its token in time.
     */
    private void scheduleExpiry(Channel ch) {
        Claims claims = ch.claims();
        long now = engine.verifier().clock().millis();
        long closeAt = (claims.exp() + engine.verifier().skewSeconds() + engine.config().jwtExpiryGraceSeconds()) * 1000;
        ch.expiry(engine.scheduler().schedule(() -> expire(ch, claims), Math.max(0, closeAt - now), TimeUnit.MILLISECONDS));
        long lead = engine.config().jwtExpiryNoticeSeconds() * 1000;
        long noticeAt = claims.exp() * 1000 - lead;
        if (lead > 0 && noticeAt > now) {
            ch.expiryNotice(engine.scheduler().schedule(() -> noticeExpiry(ch, claims), noticeAt - now, TimeUnit.MILLISECONDS));
        } else {
            ch.expiryNotice(null);
        }
    }

    private synchronized void noticeExpiry(Channel ch, Claims scheduledFor) {
        if (closed || channels.get(ch.topic()) != ch || ch.claims() != scheduledFor) return;
        long left = Math.max(0, scheduledFor.exp() - engine.verifier().clock().millis() / 1000);
        push(ch, "system", null, SystemMessages.tokenExpiresSoon(ch.subTopic(), left));
    }

    private synchronized void expire(Channel ch, Claims scheduledFor) {
        if (closed || channels.get(ch.topic()) != ch || ch.claims() != scheduledFor) return;
        long ago = Math.max(0, engine.verifier().clock().millis() / 1000 - scheduledFor.exp());
        shutdown(ch, ErrorCode.TOKEN_EXPIRED.message(ago));
    }

    // ---- broadcast ----------------------------------------------------------------------------------------------

    private void broadcast(Channel ch, InboundMessage m) {
        if (ch.rules() != null && !ch.rules().spec().broadcast()) {
            dropOn(ch, ErrorCode.CHANNEL_BROADCAST_NOT_ALLOWED);
            if (ch.ack()) reply(m, "error", reason(ErrorCode.CHANNEL_BROADCAST_NOT_ALLOWED.reason(ch.subTopic())));
            return;
        }
        if (ch.isPrivate()) {
            if (ch.broadcastWrite() == null) ch.broadcastWrite(engine.channelAccess().allowed(ChannelAction.BROADCAST_WRITE, ch.subTopic(), ch.claims()));
            if (!ch.broadcastWrite()) {
                // Silently dropped, no reply even with ack (the client's ack times out), as on Supabase.
                dropOn(ch, ErrorCode.BROADCAST_WRITE_DENIED);
                return;
            }
        }
        int size;
        JsonNode jsonPayload = null;
        UserBroadcast user = null;
        if (m.userBroadcast() != null) {
            UserBroadcast in = m.userBroadcast();
            size = in.payload().length;
            if (size <= engine.limits().settings().maxPayloadBytes() && in.json() && !isJson(in.payload())) {
                dropMalformed(new MalformedMessageException("binary push declares a JSON payload that is not JSON"));
                if (ch.ack()) reply(m, "error", Json.object());
                return;
            }
            // Client metadata is not forwarded (reference behaviour); the position replaces it.
            user = in;
        } else {
            jsonPayload = m.payload();
            String bad = Json.unrepresentable(jsonPayload);
            if (bad != null) {
                refuseUnrepresentable(ch, bad);
                if (ch.ack()) replyError(m, ErrorCode.PAYLOAD_NOT_REPRESENTABLE.reason(bad));
                return;
            }
            size = payloadSize(jsonPayload);
        }
        if (size > engine.limits().settings().maxPayloadBytes()) {
            dropOn(ch, ErrorCode.PAYLOAD_SIZE_EXCEEDED);
            if (ch.ack()) send(codec.encode(m.joinRef(), m.ref(), m.topic(), "phx_reply",
                    status("error", Json.NODES.textNode(ErrorCode.PAYLOAD_SIZE_EXCEEDED.reason()))));
            return;
        }
        engine.limits().countEvents(1);
        if (engine.limits().eventsOverLimit()) {
            // Herald stops the sender, not every receiver as the reference server does.
            dropOn(ch, ErrorCode.EVENTS_RATE_LIMIT);
            shutdown(ch, ErrorCode.EVENTS_RATE_LIMIT.message());
            return;
        }
        int delivered = engine.publishBroadcast(ch.key(), jsonPayload, user, ch.self() ? null : ch);
        engine.limits().countEvents(delivered);
        if (ch.ack()) reply(m, "ok", Json.object());
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

    // ---- presence -----------------------------------------------------------------------------------------------

    private void presence(Channel ch, InboundMessage m) {
        JsonNode payload = m.payload() == null ? Json.object() : m.payload();
        String event = payload.path("event").asText("").toLowerCase(Locale.ROOT);
        if (ch.presenceCalls().overLimit()) {
            dropOn(ch, ErrorCode.CLIENT_PRESENCE_RATE_LIMIT);
            shutdown(ch, ErrorCode.CLIENT_PRESENCE_RATE_LIMIT.message());
            return;
        }
        PresenceTracker tracker = engine.presence(ch.key());
        switch (event) {
            case "track" -> {
                if (ch.rules() != null && !ch.rules().spec().presence()) {
                    dropOn(ch, ErrorCode.CHANNEL_PRESENCE_NOT_ALLOWED);
                    reply(m, "error", reason(ErrorCode.CHANNEL_PRESENCE_NOT_ALLOWED.reason(ch.subTopic())));
                    return;
                }
                JsonNode meta = payload.has("payload") && !payload.get("payload").isNull() ? payload.get("payload") : Json.object();
                if (!meta.isObject()) {
                    reply(m, "error", reason(ErrorCode.PRESENCE_PAYLOAD_NOT_MAP.reason()));
                    return;
                }
                String bad = Json.unrepresentable(meta);
                if (bad != null) {
                    refuseUnrepresentable(ch, bad);
                    replyError(m, ErrorCode.PAYLOAD_NOT_REPRESENTABLE.reason(bad));
                    return;
                }
                if (Json.writeBytes(meta).length > engine.limits().settings().maxPayloadBytes()) {
                    dropOn(ch, ErrorCode.TRACK_SIZE_EXCEEDED);
                    shutdown(ch, ErrorCode.TRACK_SIZE_EXCEEDED.message());
                    return;
                }
                if (ch.isPrivate()) {
                    if (ch.presenceWrite() == null) {
                        ChannelAccess access = engine.channelAccess();
                        ch.presenceWrite(access.allowed(ChannelAction.PRESENCE_WRITE, ch.subTopic(), ch.claims()));
                        if (!ch.presenceEnabled()) {
                            ch.readRights(ch.broadcastRead(), access.allowed(ChannelAction.PRESENCE_READ, ch.subTopic(), ch.claims()));
                        }
                    }
                    if (!ch.presenceWrite()) {
                        dropOn(ch, ErrorCode.PRESENCE_WRITE_DENIED);
                        reply(m, "error", Json.object());
                        return;
                    }
                }
                if (!ch.presenceEnabled()) ch.enablePresence();
                PresenceTracker.Diff diff = tracker.track(ch, (ObjectNode) meta);
                if (diff != null) publishPresenceDiff(ch, diff);
                reply(m, "ok", Json.object());
            }
            case "untrack" -> {
                PresenceTracker.Diff diff = tracker.untrack(ch);
                if (diff != null) publishPresenceDiff(ch, diff);
                reply(m, "ok", Json.object());
            }
            default -> reply(m, "error", Json.object());
        }
    }

    private void publishPresenceDiff(Channel ch, PresenceTracker.Diff diff) {
        int delivered = engine.broker().publish(ch.key(), Outbound.push(ch.topic(), "presence_diff", diff.payload()), null, true);
        ch.stats().published();
        engine.metrics().published();
        engine.limits().countPresenceEvents(1 + delivered);
        if (engine.limits().presenceOverLimit() && channels.get(ch.topic()) == ch) {
            dropOn(ch, ErrorCode.PRESENCE_EVENTS_RATE_LIMIT);
            shutdown(ch, ErrorCode.PRESENCE_EVENTS_RATE_LIMIT.message());
        }
    }

    // ---- token refresh ------------------------------------------------------------------------------------------

    private void accessToken(Channel ch, InboundMessage m) {
        JsonNode t = m.payload() == null ? null : m.payload().get("access_token");
        if (t == null || t.isNull()) return;
        String token = t.isTextual() ? t.asText() : t.toString();
        if (token.startsWith("sb_") || token.equals(ch.claims().token())) return;
        try {
            Claims claims = engine.verifier().verify(token);
            if (ch.isPrivate()) {
                ChannelAccess.ReadRights rights = engine.channelAccess().readRights(ch.subTopic(), claims, ch.presenceEnabled());
                if (!rights.any()) {
                    dropOn(ch, ErrorCode.READ_PERMISSION_REVOKED);
                    shutdown(ch, ErrorCode.READ_PERMISSION_REVOKED.message(ch.subTopic()));
                    return;
                }
                ch.readRights(rights.broadcast(), rights.presence());
                ch.broadcastWrite(null);
                ch.presenceWrite(null);
            }
            ch.claims(claims);
            scheduleExpiry(ch);
            // Bindings are re-registered with the new claims, and say so again (reference behaviour).
            subscribePostgres(ch, claims, null);
        } catch (TokenException e) {
            shutdown(ch, e.text());
        }
    }

    // ---- outbound -----------------------------------------------------------------------------------------------

    /** A fanned-out message; dropped (and counted) when this protocol version cannot carry it. */
    void deliver(Outbound message) {
        Frame frame = message.frameFor(codec.version());
        if (frame == null) {
            engine.metrics().drop(codec.version() == ProtocolVersion.V1 ? ErrorCode.BINARY_NOT_DELIVERABLE : ErrorCode.FRAME_NOT_ENCODABLE);
            return;
        }
        send(frame);
    }

    /** A fanned-out message for {@code ch}: as {@link #deliver(Outbound)}, also recorded in the topic's activity. */
    void deliver(Outbound message, Channel ch) {
        ChannelStats stats = ch.stats();
        Frame frame = message.frameFor(codec.version());
        if (frame == null) {
            ErrorCode code = codec.version() == ProtocolVersion.V1 ? ErrorCode.BINARY_NOT_DELIVERABLE : ErrorCode.FRAME_NOT_ENCODABLE;
            engine.metrics().drop(code);
            stats.drop(code);
            return;
        }
        stats.handedOut(1);
        send(frame, new Queued(stats, System.nanoTime()));
    }

    /** What a queued fan-out frame carries to its write completion: whose latency it measures, and since when. */
    private record Queued(ChannelStats stats, long atNanos) {
    }

    private void send(Frame frame) {
        send(frame, null);
    }

    private void send(Frame frame, Queued tag) {
        if (closed || disconnecting.get()) return;
        if (!outbound.offer(frame, tag)) {
            outbound.close();
            if (tag != null && !disconnecting.get()) tag.stats().drop(ErrorCode.SLOW_CONSUMER);
            disconnect(ErrorCode.SLOW_CONSUMER, 1008, ErrorCode.SLOW_CONSUMER.reason());
        }
    }

    /** A payload that parses but could not be sent on (see {@link Json#unrepresentable}): counted and logged. */
    private void refuseUnrepresentable(Channel ch, String what) {
        engine.metrics().drop(ErrorCode.PAYLOAD_NOT_REPRESENTABLE, what);
        ch.stats().drop(ErrorCode.PAYLOAD_NOT_REPRESENTABLE);
        LOG.info("{}: {} on {}", id(), ErrorCode.PAYLOAD_NOT_REPRESENTABLE.message(what), ch.topic());
    }

    /** Bytes waiting in this connection's outbound queue. */
    long queuedBytes() {
        return outbound.queuedBytes();
    }

    /**
     * The global outbound budget is exhausted and this connection is among the furthest behind: its queue is
     * released at once (so the total drops before the next check) and the socket closes with 1008.
     */
    void disconnectOverBudget() {
        if (closed || disconnecting.get()) return;
        outbound.close();
        disconnect(ErrorCode.OUTBOUND_BUDGET_EXCEEDED, 1008, ErrorCode.OUTBOUND_BUDGET_EXCEEDED.reason());
    }

    /** Counts a drop that belongs to one channel: globally and on its topic, with a log line carrying the code. */
    private void dropOn(Channel ch, ErrorCode code) {
        engine.metrics().drop(code);
        ch.stats().drop(code);
    }

    /** Closes the connection for a server-side reason, counting and logging it once. */
    private void disconnect(ErrorCode reason, int closeCode, String closeReason, Object... args) {
        if (closed || !disconnecting.compareAndSet(false, true)) return;
        engine.metrics().drop(reason);
        LOG.info("{}: disconnecting, {}", id(), reason.message(args));
        // Closed from the timer thread: the caller may hold a topic lock, and a container may call onClose inline.
        try {
            engine.scheduler().execute(() -> connection.close(closeCode, closeReason));
        } catch (RejectedExecutionException e) {
            connection.close(closeCode, closeReason); // engine shutting down
        }
    }

    private void reply(InboundMessage m, String status, JsonNode response) {
        send(codec.encode(m.joinRef(), m.ref(), m.topic(), "phx_reply", status(status, response)));
    }

    private void replyError(InboundMessage m, String reasonText) {
        reply(m, "error", reason(reasonText));
    }

    private void replyUnmatched(InboundMessage m) {
        send(codec.encode(null, m.ref(), m.topic(), "phx_reply", status("error", reason(ErrorCode.UNMATCHED_TOPIC.reason()))));
    }

    /** A push from the channel itself: {@code [join_ref, ref, topic, event, payload]}. */
    private void push(Channel ch, String event, String ref, JsonNode payload) {
        send(codec.encode(ch.joinRef(), ref, ch.topic(), event, payload));
    }

    private static ObjectNode status(String status, JsonNode response) {
        ObjectNode p = Json.object();
        p.put("status", status);
        p.set("response", response);
        return p;
    }

    private static ObjectNode reason(String text) {
        ObjectNode r = Json.object();
        r.put("reason", text);
        return r;
    }

    // ---- lifecycle ----------------------------------------------------------------------------------------------

    long idleNanos(long now) {
        return now - lastReceivedNanos;
    }

    void closeIdle() {
        disconnect(ErrorCode.IDLE_TIMEOUT, 1000, "idle timeout", engine.config().wsIdleTimeoutMs());
    }

    /** First step of a graceful drain: every joined channel is told the server is going away (protocol.md §1.5). */
    synchronized void announceDisconnect() {
        for (Channel ch : channels.values()) {
            push(ch, "system", null, SystemMessages.serverDisconnect(ch.subTopic()));
        }
    }

    /** Server-initiated close of the connection (shutdown, admin). */
    public void close(int code, String reason) {
        connection.close(code, reason);
    }

    /** The transport is gone: leave every channel (presence leaves are fanned out) and release resources. */
    public void onClosed() {
        List<Channel> joined;
        synchronized (this) {
            if (closed) return;
            closed = true;
            joined = new ArrayList<>(channels.values());
            joined.forEach(this::teardown);
        }
        outbound.close();
        synchronized (this) {
            if (countedAsUser) {
                countedAsUser = false;
                engine.limits().userLeft();
            }
        }
        engine.sessionClosed(this);
    }

    public synchronized int channelCount() {
        return channels.size();
    }

    // ---- admin --------------------------------------------------------------------------------------------------

    /** When the connection was accepted (epoch milliseconds). */
    public long openedAtMs() {
        return openedAtMs;
    }

    /** The verified claims of the connection's token. */
    public Claims claims() {
        return connectClaims;
    }

    /** The joined channels at this moment. */
    public synchronized List<Channel> channels() {
        return List.copyOf(channels.values());
    }

    /** The limit of this connection's outbound queue, in messages. */
    public int queueLimit() {
        return outbound.maxMessages();
    }

    /**
     * Disconnects this connection on an administrator's request: each joined channel gets a {@code system} error
     * with {@code reason} and {@code phx_close} (so the client does not rejoin it), then the socket closes with
     * 1000 once those frames are written (at most after 2 s).
     */
    public void disconnectByAdmin(String reason) {
        String text = "Disconnected by an administrator: " + reason;
        synchronized (this) {
            if (closed) return;
            for (Channel ch : new ArrayList<>(channels.values())) shutdown(ch, text);
        }
        engine.metrics().adminDisconnect();
        LOG.info("event=admin_disconnect connection={} reason=\"{}\"", id(), reason.replace("\"", "'"));
        closeWhenFlushed(System.currentTimeMillis() + 2_000);
    }

    /** Closes with 1000 once the outbound queue is empty (checked every 20 ms on the timer), or at {@code deadlineMs}. */
    private void closeWhenFlushed(long deadlineMs) {
        if (queueDepth() == 0 || System.currentTimeMillis() >= deadlineMs) {
            connection.close(1000, "disconnected by an administrator");
            return;
        }
        try {
            engine.scheduler().schedule(() -> closeWhenFlushed(deadlineMs), 20, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            connection.close(1000, "disconnected by an administrator"); // engine shutting down
        }
    }
}
