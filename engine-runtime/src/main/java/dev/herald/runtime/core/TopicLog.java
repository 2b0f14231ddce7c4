package dev.herald.runtime.core;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.protocol.Outbound;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The broadcast stream of one topic: gives each message its position (this engine's epoch + a per-topic offset),
 * keeps the recent ones for resume (bounded by count and age), and publishes under one lock, so that a resuming
 * subscriber's "replay, then live" switch can neither miss nor repeat a message. Thread-safe.
 */
final class TopicLog {
    private record Entry(long offset, Outbound message, long atMs) {
    }

    /** What a resume found: the messages after the given position, or that it is outside the window. */
    record Replay(boolean recovered, List<Outbound> messages) {
    }

    private final TopicKey key;
    private final String epoch;
    private final Broker broker;
    private final int maxMessages;
    private final long maxAgeMs;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private final PgBroadcastStore store;
    private long nextOffset;

    TopicLog(TopicKey key, String epoch, Broker broker, int maxMessages, long maxAgeMs, PgBroadcastStore store) {
        this.key = key;
        this.epoch = epoch;
        this.broker = broker;
        this.maxMessages = maxMessages;
        this.maxAgeMs = maxAgeMs;
        this.store = store;
        // With a durable store, offsets continue where the previous engine run stopped. After a crash its unflushed
        // tail is unknown: skip far ahead so no position is reused, and refuse resumes into the previous run.
        long stored = store == null ? 0 : store.maxPosition(key);
        this.nextOffset = store != null && store.previousRunCrashed() ? stored + CRASH_GAP : stored + 1;
        this.incompleteUpTo = store != null && store.previousRunCrashed() ? nextOffset - 1 : 0;
    }

    /** Offsets skipped after a crash; more than a run can publish in one unflushed 20 ms batch. */
    static final long CRASH_GAP = 1_000_000;
    private final long incompleteUpTo;

    /** The position text of an offset on this topic: {@code b:<epoch>:<offset>}. */
    String position(long offset) {
        return "b:" + epoch + ":" + offset;
    }

    /**
     * Assigns the next position, builds the message for it, keeps it and fans it out.
     *
     * @return the number of channels it was handed to
     */
    /** A message built for its position, and the form the durable store keeps (JSON payload or user broadcast). */
    record Built(Outbound message, JsonNode payload, dev.herald.runtime.protocol.UserBroadcast user) {
    }

    synchronized int publish(LongFunction<Built> build, Channel except) {
        long offset = nextOffset++;
        Built built = build.apply(offset);
        Outbound message = built.message();
        if (store != null) store.append(key, offset, built.payload(), built.user());
        long now = System.currentTimeMillis();
        if (maxMessages > 0) {
            entries.addLast(new Entry(offset, message, now));
            trim(now);
        }
        return broker.publish(key, message, except, false);
    }

    /**
     * Subscribes {@code channel} and returns what it missed after {@code position}; the caller delivers the replay
     * before any live message can reach the channel, because publishing waits for this lock.
     */
    synchronized Replay subscribe(Channel channel, String position, java.util.function.Consumer<Replay> deliverFirst) {
        broker.subscribe(channel);
        Replay replay = replayAfter(position);
        // Replay and its notice go out before any live message: publishing waits for this lock.
        deliverFirst.accept(replay);
        return replay;
    }

    /** The position of the newest message, or of "nothing yet" (offset 0). */
    synchronized String currentPosition() {
        return position(nextOffset - 1);
    }

    private Replay replayAfter(String position) {
        trim(System.currentTimeMillis());
        String[] parts = position == null ? new String[0] : position.split(":");
        if (parts.length != 3 || !parts[0].equals("b") || !parts[1].equals(epoch)) {
            // Another engine epoch (restart) or not a broadcast position: nothing here covers it.
            return new Replay(false, List.of());
        }
        long since;
        try {
            since = Long.parseLong(parts[2]);
        } catch (NumberFormatException e) {
            return new Replay(false, List.of());
        }
        long oldest = entries.isEmpty() ? nextOffset : entries.peekFirst().offset();
        if (since >= nextOffset) return new Replay(false, List.of());
        if (since + 1 < oldest) return store == null ? new Replay(false, List.of()) : fromStore(since);
        List<Outbound> out = new ArrayList<>();
        for (Entry e : entries) if (e.offset() > since) out.add(e.message());
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
        } catch (java.sql.SQLException e) {
            return new Replay(false, List.of());
        }
    }

    private void trim(long now) {
        while (entries.size() > maxMessages) entries.pollFirst();
        while (!entries.isEmpty() && now - entries.peekFirst().atMs() > maxAgeMs) entries.pollFirst();
    }
}
