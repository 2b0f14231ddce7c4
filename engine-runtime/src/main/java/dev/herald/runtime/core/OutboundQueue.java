package dev.herald.runtime.core;

import dev.herald.runtime.protocol.Frame;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The bounded per-connection queue between publishers and the socket. Publishers never block: {@link #offer} either
 * queues the frame or reports overflow, and the owner then disconnects the slow reader. Frames are written in offer
 * order with one write in flight at a time. Thread-safe.
 */
final class OutboundQueue {
    /** Hears what became of the offered frames; called on whichever thread completed the write, never under the lock. */
    interface Listener {
        /**
         * A frame was written, with the tag it was offered with (null when none); {@code writtenAtNanos} is
         * {@link System#nanoTime()} at the write's completion, read once for all frames of one gathered write.
         */
        void sent(Frame frame, Object tag, long writtenAtNanos);

        /** The write failed; the queue is closed already. */
        void failed(Throwable error);
    }

    /** A gathered write carries at most this many bytes (and {@link Connection#framesPerWrite()} frames). */
    static final int MAX_WRITE_BYTES = 64 * 1024;
    private static final Object NO_TAG = new Object();

    private final Connection connection;
    private final int maxMessages;
    private final long maxBytes;
    private final Listener listener;
    /** 0: the transport takes no raw frames (one typed send per frame); else the most frames per gathered write. */
    private final int framesPerWrite;
    private final ArrayDeque<Frame> queue = new ArrayDeque<>(4);
    /** The tag of each queued frame, in step with {@link #queue} (ArrayDeque holds no nulls: NO_TAG stands in). */
    private final ArrayDeque<Object> tags = new ArrayDeque<>(4);
    private volatile long queuedBytes;
    private final OutboundBudget budget;
    private final Consumer<Throwable> completion = this::completed;
    private boolean inFlight;
    private boolean closed;
    private Thread pumpThread;
    /**
     * The write in flight: its frames, their tags and wire buffers, grown on demand up to {@link #framesPerWrite}.
     * Written by the pumping thread under the lock; read by the completing thread before it clears {@link #inFlight},
     * so nobody else touches them meanwhile.
     */
    private Frame[] batch = new Frame[1];
    private Object[] batchTags = new Object[1];
    private ByteBuffer[] batchWires;
    private int batchCount;

    OutboundQueue(Connection connection, int maxMessages, long maxBytes, OutboundBudget budget, Listener listener) {
        this.connection = connection;
        this.budget = budget;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.listener = listener;
        this.framesPerWrite = Math.max(0, connection.framesPerWrite());
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
            int n;
            synchronized (this) {
                if (inFlight || closed || queue.isEmpty()) return;
                n = takeBatch();
                inFlight = true;
                pumpThread = Thread.currentThread();
            }
            try {
                if (framesPerWrite > 0) {
                    connection.sendFrames(batchWires, n, completion);
                } else {
                    Frame next = batch[0];
                    if (next.isText()) connection.sendText(next.text(), completion);
                    else connection.sendBinary(next.binary(), completion);
                }
            } catch (RuntimeException e) {
                completed(e);
            }
            synchronized (this) {
                pumpThread = null;
                // Still in flight: the completion callback (on another thread) continues the pump.
                if (inFlight) return;
            }
            // The write completed inline on this thread; loop instead of recursing.
        }
    }

    /**
     * Moves the next frames into the batch: one for a typed send, else as many as one gathered write may carry.
     * Budget is released at hand-off, not at completion: a transport that never completes a write cannot leak it.
     * What this leaves uncounted is at most one write's frames per connection. Called under the lock.
     */
    private int takeBatch() {
        int limit = framesPerWrite == 0 ? 1 : framesPerWrite;
        int n = 0;
        long bytes = 0;
        do {
            Frame next = queue.poll();
            Object tag = tags.poll();
            queuedBytes -= next.size();
            if (next.release()) budget.add(-next.heapBytes());
            if (n == batch.length) grow(Math.min(limit, n * 4));
            batch[n] = next;
            batchTags[n] = tag;
            bytes += next.size();
            n++;
        } while (n < limit && !queue.isEmpty() && bytes + queue.peek().size() <= MAX_WRITE_BYTES);
        if (framesPerWrite > 0) {
            if (batchWires == null || batchWires.length < batch.length) batchWires = new ByteBuffer[batch.length];
            for (int i = 0; i < n; i++) batchWires[i] = batch[i].wire();
        }
        batchCount = n;
        return n;
    }

    private void grow(int size) {
        batch = Arrays.copyOf(batch, size);
        batchTags = Arrays.copyOf(batchTags, size);
    }

    private void completed(Throwable error) {
        int n;
        synchronized (this) {
            n = batchCount;
        }
        if (error == null) {
            long now = System.nanoTime();
            for (int i = 0; i < n; i++) listener.sent(batch[i], batchTags[i] == NO_TAG ? null : batchTags[i], now);
        }
        for (int i = 0; i < n; i++) {
            batch[i] = null;
            batchTags[i] = null;
            if (batchWires != null) batchWires[i] = null;
        }
        boolean resume;
        synchronized (this) {
            batchCount = 0;
            inFlight = false;
            resume = pumpThread != Thread.currentThread();
        }
        if (error != null) {
            close();
            listener.failed(error);
            return;
        }
        if (resume) pump();
    }
}
