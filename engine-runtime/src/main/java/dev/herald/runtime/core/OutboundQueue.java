package dev.herald.runtime.core;

import dev.herald.runtime.protocol.Frame;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The bounded per-connection queue between publishers and the socket. Publishers never block: {@link #offer} either
 * queues the frame or reports overflow, and the owner then disconnects the slow reader. Frames are written in offer
 * order with one write in flight at a time. Thread-safe.
 */
final class OutboundQueue {
    interface Listener {
        void sent(Frame frame);

        /** A sent frame with the tag it was offered with (null when none). */
        default void sent(Frame frame, Object tag) {
            sent(frame);
        }

        void failed(Throwable error);
    }

    private final Connection connection;
    private final int maxMessages;
    private final long maxBytes;
    private final Listener listener;
    private final ArrayDeque<Frame> queue = new ArrayDeque<>();
    /** The tag of each queued frame, in step with {@link #queue} (ArrayDeque holds no nulls: NO_TAG stands in). */
    private final ArrayDeque<Object> tags = new ArrayDeque<>();
    private static final Object NO_TAG = new Object();
    private volatile long queuedBytes;
    private final OutboundBudget budget;
    private boolean inFlight;
    private boolean closed;
    private Thread pumpThread;

    OutboundQueue(Connection connection, int maxMessages, long maxBytes, OutboundBudget budget, Listener listener) {
        this.connection = connection;
        this.budget = budget;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.listener = listener;
    }

    /**
     * Queues a frame with a tag (may be null) handed back to {@link Listener#sent(Frame, Object)} once it is written;
     * {@code false} when the queue is full (the caller disconnects) or already closed.
     */
    boolean offer(Frame frame, Object tag) {
        synchronized (this) {
            if (closed) return false;
            if (queue.size() >= maxMessages || queuedBytes + frame.size() > maxBytes) return false;
            queue.add(frame);
            tags.add(tag == null ? NO_TAG : tag);
            queuedBytes += frame.size();
            if (frame.retain()) budget.add(frame.heapBytes());
        }
        budget.checkAfterOffer();
        pump();
        return true;
    }

    int maxMessages() {
        return maxMessages;
    }

    synchronized int depth() {
        return queue.size();
    }

    /** Bytes waiting in this queue: how far behind its reader is. */
    long queuedBytes() {
        return queuedBytes;
    }

    /** Drops whatever is still queued; later offers are refused. */
    synchronized void close() {
        closed = true;
        for (Frame f : queue) if (f.release()) budget.add(-f.heapBytes());
        queue.clear();
        tags.clear();
        queuedBytes = 0;
    }

    private void pump() {
        for (;;) {
            Frame next;
            Object tag;
            synchronized (this) {
                if (inFlight || closed || queue.isEmpty()) return;
                next = queue.poll();
                tag = tags.poll();
                queuedBytes -= next.size();
                // Released at hand-off, not at completion: a transport that never completes a write cannot leak the
                // budget. What this leaves uncounted is at most one in-flight frame per connection.
                if (next.release()) budget.add(-next.heapBytes());
                inFlight = true;
                pumpThread = Thread.currentThread();
            }
            try {
                Consumer<Throwable> done = err -> completed(next, tag, err);
                if (!connection.sendFramed(next.wire(), done)) {
                    if (next.isText()) connection.sendText(next.text(), done);
                    else connection.sendBinary(next.binary(), done);
                }
            } catch (RuntimeException e) {
                completed(next, tag, e);
            }
            synchronized (this) {
                pumpThread = null;
                // Still in flight: the completion callback (on another thread) continues the pump.
                if (inFlight) return;
            }
            // The write completed inline on this thread; loop instead of recursing.
        }
    }

    private void completed(Frame frame, Object tag, Throwable error) {
        boolean resume;
        synchronized (this) {
            inFlight = false;
            resume = pumpThread != Thread.currentThread();
        }
        if (error != null) {
            close();
            listener.failed(error);
            return;
        }
        listener.sent(frame, tag == NO_TAG ? null : tag);
        if (resume) pump();
    }
}
