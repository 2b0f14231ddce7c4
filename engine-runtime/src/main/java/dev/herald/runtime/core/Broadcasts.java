package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.api.ErrorCode;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.Principal;
import dev.herald.runtime.config.HeraldConfig;
import dev.herald.runtime.limits.Limits;
import dev.herald.runtime.metrics.ChannelActivity;
import dev.herald.runtime.metrics.HeraldMetrics;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.Outbound;
import dev.herald.runtime.protocol.UserBroadcast;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one publish path of broadcast messages, for every sender: a client's push ({@code BroadcastHandler}), the REST
 * endpoints, plugins and the server itself. It shapes the message, gives it its stream position
 * ({@code meta.herald_pos} for JSON, the binary metadata for user broadcasts), keeps it in the topic's
 * {@link TopicLog} for resume (and in the durable store when there is one) and hands it to the {@link Broker}.
 *
 * <p>Threading: any thread. Ordering: messages of one topic get increasing positions and reach each subscriber in
 * that order (the topic log publishes under its lock). Delivery: at most once per subscribed channel, handed to its
 * outbound queue; never waits for a socket. After {@link #stopAccepting} nothing is published (counted as
 * {@code realtime_restarting}), since it could neither be delivered nor kept for resume.
 */
public final class Broadcasts {
    private static final Logger LOG = LoggerFactory.getLogger(Broadcasts.class);
    /**
     * Per hash slot of the topic key: the last retired topic's epoch and next offset (its tomb), and how many tombs the
     * slot lost to later retirements. A bounded table (a few hundred kilobytes) instead of a record per topic ever
     * used: a topic whose tomb survives continues its stream; one whose tomb was overwritten gets a new epoch.
     */
    private static final int RETIRED_GENERATION_SLOTS = 4096;
    /** Beyond this many idle logs (no messages, no subscribers) they are retired without waiting out the grace. */
    static final int IDLE_LOGS_KEPT = 4096;

    private final HeraldConfig config;
    private final HeraldMetrics metrics;
    private final Limits limits;
    private final Broker broker;
    private final ChannelAccess channelAccess;
    private final ChannelActivity<TopicKey> activity;
    private final ReplayBudget replayBudget;
    /** The durable replay window, or null when it is kept in memory only. */
    private final PgBroadcastStore replayStore;
    /** Distinguishes this engine's broadcast positions from an earlier run's. */
    private final String epoch;
    private final BooleanSupplier closing;
    private final ConcurrentHashMap<TopicKey, TopicLog> topicLogs = new ConcurrentHashMap<>();
    private final AtomicLongArray retiredGenerations = new AtomicLongArray(RETIRED_GENERATION_SLOTS);
    private final TopicLog.Tomb[] retiredTombs = new TopicLog.Tomb[RETIRED_GENERATION_SLOTS];

    /**
     * @param replayStore the durable window (opened by the caller), or null
     * @param epoch this run's epoch (the durable store's, or a fresh one)
     * @param closing whether a graceful shutdown has started
     */
    public Broadcasts(HeraldConfig config, HeraldMetrics metrics, Limits limits, Broker broker, ChannelAccess channelAccess,
                      ChannelActivity<TopicKey> activity, PgBroadcastStore replayStore, String epoch, BooleanSupplier closing) {
        this.config = config;
        this.metrics = metrics;
        this.limits = limits;
        this.broker = broker;
        this.channelAccess = channelAccess;
        this.activity = activity;
        this.replayBudget = new ReplayBudget(config.replayMaxBytes(), config.replayMaxAgeMs());
        this.replayStore = replayStore;
        this.epoch = epoch;
        this.closing = closing;
    }

    /** The broadcast message as clients receive it: {@code {type, event, payload[, meta.id]}}. */
    static ObjectNode message(String event, JsonNode payload, String id) {
        ObjectNode message = Json.object();
        message.set("payload", payload);
        message.put("event", event);
        message.put("type", "broadcast");
        if (id != null) message.putObject("meta").put("id", id);
        return message;
    }

    /** Publishes a message from the server itself (plugins): no write policy applies; counted against the event rate. */
    public void publishFromServer(TopicKey key, String event, JsonNode payload) {
        if (unusableName(key.name())) return;
        limits.countEvents(1 + publish(key, message(event, payload, null), null, null));
    }

    /**
     * Publishes a JSON broadcast sent over REST (the batch endpoint's shape). On a private topic the sender needs
     * broadcast-write; a refusal is counted and nothing is published.
     *
     * @return whether the message was published
     */
    public boolean publishFromRest(String name, boolean isPrivate, String event, JsonNode payload, String id, Principal sender) {
        if (unusableName(name)) return false;
        if (isPrivate && !mayBroadcast(name, sender)) return false;
        limits.countEvents(1 + publish(new TopicKey(isPrivate, name), message(event, payload, id), null, null));
        return true;
    }

    /** Publishes a user broadcast sent over REST (kind 4 to vsn 2, JSON to vsn 1 unless binary); as {@link #publishFromRest}. */
    public boolean publishFromRest(String name, boolean isPrivate, UserBroadcast broadcast, Principal sender) {
        if (unusableName(name)) return false;
        if (isPrivate && !mayBroadcast(name, sender)) return false;
        limits.countEvents(1 + publish(new TopicKey(isPrivate, name), null, broadcast, null));
        return true;
    }

    /**
     * A name nobody can have joined (joins refuse it, see {@link TopicKey#storable}) and the durable store could not
     * keep: counted and refused. Checked where names enter unvalidated (REST, plugins); a client's push goes to a
     * channel it joined, so the per-message path needs no check.
     */
    private boolean unusableName(String name) {
        if (TopicKey.storable(name)) return false;
        metrics.drop(ErrorCode.TOPIC_NAME_INVALID);
        return true;
    }

    /** Whether {@code sender} may broadcast on the private topic {@code name}; a refusal is counted. */
    public boolean mayBroadcast(String name, Principal sender) {
        if (channelAccess.allowed(ChannelAction.BROADCAST_WRITE, name, sender)) return true;
        metrics.drop(ErrorCode.BROADCAST_WRITE_DENIED);
        return false;
    }

    /**
     * Publishes an already shaped broadcast ({@code payload}, the JSON message) or a user broadcast ({@code user}),
     * skipping {@code except}. The caller counts the events.
     *
     * @return the number of channels it was handed to
     */
    int publish(TopicKey key, JsonNode payload, UserBroadcast user, Channel except) {
        if (closing.getAsBoolean()) {
            metrics.drop(ErrorCode.REALTIME_RESTARTING);
            return 0;
        }
        int handed;
        if (config.replayMaxMessages() == 0) {
            // Resume is off: no positions, messages exactly as Supabase shapes them.
            // Client metadata is never forwarded (reference behaviour).
            Outbound plain = user != null
                    ? Outbound.userBroadcast(key.joinTopic(), new UserBroadcast(user.event(), user.json(), user.payload(), UserBroadcast.NO_METADATA))
                    : Outbound.push(key.joinTopic(), "broadcast", payload);
            handed = broker.publish(key, plain, except, false);
        } else {
            do {
                handed = publishPositioned(topicLog(key), key, payload, user, except);
            } while (handed == TopicLog.RETIRED);
        }
        activity.of(key).published();
        metrics.published();
        return handed;
    }

    private static int publishPositioned(TopicLog log, TopicKey key, JsonNode payload, UserBroadcast user, Channel except) {
        return log.publish(offset -> {
            String pos = log.position(offset);
            if (user != null) {
                byte[] meta = ("{\"herald_pos\":" + Json.quote(pos) + "}").getBytes(StandardCharsets.UTF_8);
                UserBroadcast positioned = new UserBroadcast(user.event(), user.json(), user.payload(), meta);
                return new TopicLog.Built(Outbound.userBroadcast(key.joinTopic(), positioned), null, positioned);
            }
            JsonNode withPos = payload;
            if (payload != null && payload.isObject()) {
                ObjectNode copy = ((ObjectNode) payload).deepCopy();
                JsonNode meta = copy.get("meta");
                ObjectNode m = meta != null && meta.isObject() ? (ObjectNode) meta : copy.putObject("meta");
                m.put("herald_pos", pos);
                withPos = copy;
            }
            return new TopicLog.Built(Outbound.push(key.joinTopic(), "broadcast", withPos), withPos, null);
        }, except);
    }

    /**
     * Subscribes a resuming channel through the topic's current log: {@code deliverFirst} gets what it missed after
     * {@code position} before any live message can reach it (see {@link TopicLog#subscribe}).
     */
    void resume(Channel ch, String position, Consumer<TopicLog.Replay> deliverFirst) {
        while (!topicLog(ch.key()).subscribe(ch, position, deliverFirst)) Thread.onSpinWait();
    }

    /** The position of the newest broadcast on a topic, for join replies. */
    String position(TopicKey key) {
        for (;;) {
            String p = topicLog(key).currentPosition();
            if (p != null) return p;
        }
    }

    /**
     * The current log of a topic. Callers that get {@link TopicLog#RETIRED} or null back from it (the sweep retired
     * it meanwhile) fetch it again: the retired one is already out of the map.
     */
    TopicLog topicLog(TopicKey key) {
        return topicLogs.computeIfAbsent(key, k -> {
            int slot = generationSlot(k);
            synchronized (retiredTombs) {
                TopicLog.Tomb tomb = retiredTombs[slot];
                if (tomb != null && tomb.key().equals(k)) {
                    // The topic's last incarnation is remembered: continue its stream, so a client that missed
                    // nothing still resumes with recovered:true.
                    retiredTombs[slot] = null;
                    return new TopicLog(k, tomb.epoch(), broker, config.replayMaxMessages(), config.replayTopicMaxBytes(),
                            replayBudget, replayStore, tomb.nextOffset(), false);
                }
                // Otherwise a fresh epoch whenever a topic of this slot lost its tomb, so no incarnation of this
                // topic shares an earlier one's epoch.
                long generation = retiredGenerations.get(slot);
                String e = generation == 0 ? epoch : epoch + "." + Long.toHexString(generation);
                return new TopicLog(k, e, broker, config.replayMaxMessages(), config.replayTopicMaxBytes(), replayBudget,
                        replayStore, 0, generation != 0);
            }
        });
    }

    private static int generationSlot(TopicKey key) {
        return (key.hashCode() & 0x7fffffff) % RETIRED_GENERATION_SLOTS;
    }

    /**
     * The periodic sweep of per-topic memory (the engine's timer, once a second): ages out kept broadcasts of every
     * topic (not only of topics that are touched again) and retires topic logs that keep nothing and nobody
     * subscribes to.
     */
    public void sweep() {
        try {
            long now = System.currentTimeMillis();
            replayBudget.sweep(now);
            long grace = config.replayMaxAgeMs();
            int idle = 0;
            for (TopicLog log : topicLogs.values()) if (log.isEmpty()) idle++;
            if (idle > IDLE_LOGS_KEPT) grace = 0;
            for (Map.Entry<TopicKey, TopicLog> e : topicLogs.entrySet()) {
                TopicLog log = e.getValue();
                if (log.retireIfIdle(now, grace) && topicLogs.remove(e.getKey(), log)) {
                    int slot = generationSlot(e.getKey());
                    synchronized (retiredTombs) {
                        if (retiredTombs[slot] != null) retiredGenerations.incrementAndGet(slot);
                        retiredTombs[slot] = log.tomb();
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("topic sweep failed: {}", e.toString());
        }
    }

    /** Topic logs currently held (for tests and diagnostics). */
    public int topicLogCount() {
        return topicLogs.size();
    }

    /** The bytes the resume windows of all topics keep together. */
    public long keptBytes() {
        return replayBudget.bytes();
    }

    /** The messages the resume windows of all topics keep together. */
    public long keptCount() {
        return replayBudget.count();
    }

    /** Closes the durable store, if any. */
    public void close() {
        if (replayStore != null) replayStore.close();
    }
}
