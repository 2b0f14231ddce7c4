package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.protocol.Outbound;
import dev.herald.runtime.protocol.UserBroadcast;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * The broadcast stream of one topic: gives each message its position (an epoch + a per-topic offset), keeps the
 * recent ones for resume, and publishes under one lock, so that a resuming subscriber's "replay, then live" switch
 * can neither miss nor repeat a message. The kept messages are bounded per topic by count and bytes, and together
 * with every other topic's by the shared {@link ReplayBudget} (bytes, age). Thread-safe.
 *
 * <p>A log that kept nothing and has no subscribers is retired by the engine's sweep ({@link #retireIfIdle}); a
 * retired log refuses further use (its callers fetch a fresh one). The fresh one continues the retired stream when
 * the engine still remembers it (so a client that missed nothing resumes with {@code recovered:true}), otherwise it
 * has another epoch, so a resume from the retired incarnation answers {@code recovered:false}; either way no position
 * is ever given twice.
 */
final class TopicLog {
    /** What a resume found: the messages after the given position, or that it is outside the window. */
    record Replay(boolean recovered, List<Outbound> messages) {
    }

    /** Returned by {@link #publish} on a retired log: fetch a fresh one and publish there. */
    static final int RETIRED = -1;

    private final TopicKey key;
    private final String epoch;
    private final Broker broker;
    private final int maxMessages;
    private final long maxBytes;
    private final ReplayBudget budget;
    private final PgBroadcastStore store;
    private long nextOffset;
    private boolean retired;
    private volatile long lastUsedMs = System.currentTimeMillis();
    /** This topic's kept messages, oldest first; guarded by {@code budget.lock}. */
    private ReplayBudget.Entry oldest;
    private ReplayBudget.Entry newest;
    private int size;
    private long bytes;

    /** Offsets skipped after a crash; more than a run can publish in one unflushed 20 ms batch. */
    static final long CRASH_GAP = 1_000_000;
    private final long incompleteUpTo;

    /** What the engine remembers of a retired log, so that the topic's next log can continue its stream. */
    record Tomb(TopicKey key, String epoch, long nextOffset) {
    }

    /**
     * @param epoch this incarnation's epoch
     * @param continueAt the next offset of a retired log this one continues (same epoch), or 0
     * @param reincarnated whether an earlier log of this topic may have been retired in this run without being
     *     continued: with a durable store, offsets then start above any an earlier incarnation can have given (the
     *     store may have swept them)
     */
    TopicLog(TopicKey key, String epoch, Broker broker, int maxMessages, long maxBytes, ReplayBudget budget,
             PgBroadcastStore store, long continueAt, boolean reincarnated) {
        this.key = key;
        this.epoch = epoch;
        this.broker = broker;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.budget = budget;
        this.store = store;
        // With a durable store, offsets continue where the previous engine run stopped. After a crash its unflushed
        // tail is unknown: skip far ahead so no position is reused, and refuse resumes into the previous run.
        long stored = store == null ? 0 : store.maxPosition(key);
        long next = store != null && store.previousRunCrashed() ? stored + CRASH_GAP : stored + 1;
        // A topic publishes far fewer than 1,000 messages per millisecond, so a clock-based floor is above every
        // offset an earlier incarnation gave.
        if (store != null && reincarnated) next = Math.max(next, System.currentTimeMillis() * 1_000);
        next = Math.max(next, continueAt);
        this.nextOffset = next;
        this.incompleteUpTo = store != null && store.previousRunCrashed() ? nextOffset - 1 : 0;
    }

    /** The position text of an offset on this topic: {@code b:<epoch>:<offset>}. */
    String position(long offset) {
        return "b:" + epoch + ":" + offset;
    }

    /** A message built for its position, and the form the durable store keeps (JSON payload or user broadcast). */
    record Built(Outbound message, JsonNode payload, UserBroadcast user) {
    }

    /**
     * Assigns the next position, builds the message for it, fans it out and keeps it.
     *
     * @return the number of channels it was handed to, or {@link #RETIRED}
     */
    synchronized int publish(LongFunction<Built> build, Channel except) {
        if (retired) return RETIRED;
        long offset = nextOffset++;
        Built built = build.apply(offset);
        Outbound message = built.message();
        if (store != null) store.append(key, offset, built.payload(), built.user());
        int handed = broker.publish(key, message, except, false);
        long now = System.currentTimeMillis();
        lastUsedMs = now;
        if (maxMessages > 0) {
            // Measured after the fan-out, which encoded the frames the subscribers needed: those are kept too.
            long cost = message.retainedBytes() + ReplayBudget.ENTRY_OVERHEAD;
            synchronized (budget.lock) {
                budget.appendLocked(new ReplayBudget.Entry(this, offset, message, now, cost), now);
            }
        }
        return handed;
    }

    /**
     * Subscribes {@code channel} and returns what it missed after {@code position}; the caller delivers the replay
     * before any live message can reach the channel, because publishing waits for this lock.
     *
     * @return false on a retired log (nothing was subscribed: fetch a fresh log and subscribe there)
     */
    synchronized boolean subscribe(Channel channel, String position, Consumer<Replay> deliverFirst) {
        if (retired) return false;
        lastUsedMs = System.currentTimeMillis();
        broker.subscribe(channel);
        Replay replay = replayAfter(position);
        // Replay and its notice go out before any live message: publishing waits for this lock.
        deliverFirst.accept(replay);
        return true;
    }

    /** The position of the newest message, or of "nothing yet" (offset 0); null on a retired log. */
    synchronized String currentPosition() {
        if (retired) return null;
        lastUsedMs = System.currentTimeMillis();
        return position(nextOffset - 1);
    }

    /**
     * Retires this log when it keeps nothing, nobody is subscribed and it was not used for {@code graceMs}.
     *
     * @return whether it is retired now (the caller removes it from the engine's map)
     */
    synchronized boolean retireIfIdle(long now, long graceMs) {
        if (retired) return true;
        if (now - lastUsedMs < graceMs || broker.subscribers(key) > 0) return false;
        synchronized (budget.lock) {
            if (size > 0) return false;
        }
        retired = true;
        return true;
    }

    /** This (retired) log's epoch and next offset. */
    synchronized Tomb tomb() {
        return new Tomb(key, epoch, nextOffset);
    }

    /** Whether this log keeps no message (for the sweep's count of idle logs). */
    boolean isEmpty() {
        synchronized (budget.lock) {
            return size == 0;
        }
    }

    private Replay replayAfter(String position) {
        budget.sweep(System.currentTimeMillis());
        String[] parts = position == null ? new String[0] : position.split(":");
        if (parts.length != 3 || !parts[0].equals("b") || !parts[1].equals(epoch)) {
            // Another epoch (a restart, or a retired incarnation of this topic) or not a broadcast position.
            return new Replay(false, List.of());
        }
        long since;
        try {
            since = Long.parseLong(parts[2]);
        } catch (NumberFormatException e) {
            return new Replay(false, List.of());
        }
        if (since >= nextOffset) return new Replay(false, List.of());
        List<Outbound> out = new ArrayList<>();
        long oldestOffset;
        synchronized (budget.lock) {
            oldestOffset = oldest == null ? nextOffset : oldest.offset;
            if (since + 1 >= oldestOffset) {
                for (ReplayBudget.Entry e = oldest; e != null; e = e.newerInTopic) if (e.offset > since) out.add(e.message);
            }
        }
        if (since + 1 < oldestOffset) return store == null ? new Replay(false, List.of()) : fromStore(since);
        return new Replay(true, out);
    }

    /** The memory log does not reach back far enough (a restart): read the durable store. */
    private Replay fromStore(long since) {
        if (since < incompleteUpTo) return new Replay(false, List.of());
        try {
            long[] oldestStored = new long[1];
            List<PgBroadcastStore.Stored> stored = store.after(key, since, oldestStored);
            if (oldestStored[0] == 0 ? since + 1 < nextOffset : since + 1 < oldestStored[0]) return new Replay(false, List.of());
            List<Outbound> out = new ArrayList<>();
            for (PgBroadcastStore.Stored s : stored) out.add(s.message());
            return new Replay(true, out);
        } catch (SQLException e) {
            return new Replay(false, List.of());
        }
    }

    // ---- the window itself, called by ReplayBudget with its lock held --------------------------------------------

    void linkLocked(ReplayBudget.Entry e) {
        e.olderInTopic = newest;
        if (newest != null) newest.newerInTopic = e;
        newest = e;
        if (oldest == null) oldest = e;
        size++;
        bytes += e.bytes;
    }

    void unlinkLocked(ReplayBudget.Entry e) {
        if (e.olderInTopic != null) e.olderInTopic.newerInTopic = e.newerInTopic;
        else oldest = e.newerInTopic;
        if (e.newerInTopic != null) e.newerInTopic.olderInTopic = e.olderInTopic;
        else newest = e.olderInTopic;
        e.olderInTopic = e.newerInTopic = null;
        size--;
        bytes -= e.bytes;
    }

    /** Applies this topic's count, bytes and age bounds, oldest first. */
    void trimLocked(long now) {
        while (oldest != null && (size > maxMessages || bytes > maxBytes || now - oldest.atMs > budget.maxAgeMs())) {
            budget.removeLocked(oldest);
        }
    }
}
