package dev.herald.runtime.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.runtime.protocol.Frame;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * {@link OutboundQueue} on its own, with {@link OutboundBudget}: no engine, no session. What the session does on
 * overflow (close 1008 {@code SlowConsumer}) and which connection the engine picks when the budget is exhausted are
 * not the queue's: the queue only refuses and counts, which is what is asserted here.
 */
class OutboundQueueTest {
    private static final long NO_GLOBAL_BOUND = Long.MAX_VALUE;

    /** Records what the queue reports back. */
    private static final class RecordingListener implements OutboundQueue.Listener {
        final List<Frame> sent = new ArrayList<>();
        final List<Object> tags = new ArrayList<>();
        final List<Throwable> failures = new ArrayList<>();

        @Override
        public synchronized void sent(Frame frame, Object tag, long writtenAtNanos) {
            sent.add(frame);
            tags.add(tag);
        }

        @Override
        public synchronized void failed(Throwable error) {
            failures.add(error);
        }
    }

    /**
     * A transport whose writes complete only when the test says so (or at once in {@link #autoComplete} mode), to
     * play a reader that falls behind and catches up. {@link FakeConnection} can stall but never resumes.
     */
    private static class ManualConnection implements Connection {
        final List<String> written = new ArrayList<>();
        final List<Consumer<Throwable>> pending = new ArrayList<>();
        volatile boolean autoComplete;
        int maxPendingSeen;

        @Override
        public synchronized void sendText(String text, Consumer<Throwable> done) {
            written.add(text);
            if (autoComplete) {
                done.accept(null);
                return;
            }
            pending.add(done);
            maxPendingSeen = Math.max(maxPendingSeen, pending.size());
        }

        @Override
        public void sendBinary(ByteBuffer data, Consumer<Throwable> done) {
            throw new AssertionError("text frames only");
        }

        @Override
        public void close(int code, String reason) {
        }

        @Override
        public String id() {
            return "manual";
        }

        /** Completes the oldest pending write (outside this monitor: the callback may write the next frame). */
        void completeNext(Throwable error) {
            Consumer<Throwable> done;
            synchronized (this) {
                done = pending.remove(0);
            }
            done.accept(error);
        }

        synchronized int pendingCount() {
            return pending.size();
        }

        synchronized List<String> written() {
            return new ArrayList<>(written);
        }
    }

    private static OutboundBudget unbounded() {
        return new OutboundBudget(NO_GLOBAL_BOUND, () -> {
            throw new AssertionError("the global budget is not exceeded in this test");
        });
    }

    private static Frame text(String s) {
        return Frame.text(s);
    }

    @Test
    void writesFramesInOfferOrderAndHandsBackEachTag() {
        FakeConnection conn = new FakeConnection();
        RecordingListener listener = new RecordingListener();
        OutboundQueue q = new OutboundQueue(conn, 100, 1_000_000, unbounded(), listener);
        Object tagA = new Object();
        Object tagC = new Object();
        assertTrue(q.offer(text("a"), tagA));
        assertTrue(q.offer(text("b"), null));
        assertTrue(q.offer(text("c"), tagC));
        assertEquals(List.of("a", "b", "c"), conn.texts());
        assertEquals(3, listener.sent.size());
        assertEquals("a", listener.sent.get(0).text());
        assertSame(tagA, listener.tags.get(0));
        assertNull(listener.tags.get(1), "a frame offered without a tag is reported with null, not the internal marker");
        assertSame(tagC, listener.tags.get(2));
        assertEquals(0, q.depth());
        assertEquals(0, q.queuedBytes());
    }

    @Test
    void keepsOneWriteInFlightAndOrderAcrossAsynchronousCompletions() throws Exception {
        ManualConnection conn = new ManualConnection();
        RecordingListener listener = new RecordingListener();
        OutboundQueue q = new OutboundQueue(conn, 100, 1_000_000, unbounded(), listener);
        for (int i = 0; i < 5; i++) assertTrue(q.offer(text("m" + i), i));
        assertEquals(List.of("m0"), conn.written(), "only the first frame is handed to the transport");
        assertEquals(4, q.depth());
        // The writer completes on another thread, as a container's I/O thread does; the completion writes the next.
        for (int i = 1; i < 5; i++) {
            CompletableFuture.runAsync(() -> conn.completeNext(null)).get(5, TimeUnit.SECONDS);
            assertEquals(i + 1, conn.written().size());
        }
        conn.completeNext(null);
        assertEquals(List.of("m0", "m1", "m2", "m3", "m4"), conn.written());
        assertEquals(1, conn.maxPendingSeen, "never more than one write in flight");
        assertEquals(List.of(0, 1, 2, 3, 4), listener.tags);
        assertEquals(0, q.depth());
    }

    @Test
    void refusesTheOfferPastTheMessageBoundWithoutDroppingWhatIsQueued() {
        ManualConnection conn = new ManualConnection();
        RecordingListener listener = new RecordingListener();
        OutboundQueue q = new OutboundQueue(conn, 3, 1_000_000, unbounded(), listener);
        assertEquals(3, q.maxMessages());
        // The first frame leaves the queue at once (in flight); three more fill it.
        for (int i = 0; i < 4; i++) assertTrue(q.offer(text("m" + i), null), "offer " + i);
        assertEquals(3, q.depth());
        assertFalse(q.offer(text("overflow"), null), "a fourth queued frame is over the bound");
        assertEquals(3, q.depth(), "a refused offer leaves the queue as it was");
        assertEquals(6, q.queuedBytes());
        // The queue does not close itself on overflow: disconnecting is the owner's decision.
        conn.autoComplete = true;
        conn.completeNext(null);
        assertEquals(List.of("m0", "m1", "m2", "m3"), conn.written());
        assertTrue(listener.failures.isEmpty());
    }

    @Test
    void refusesTheOfferPastTheByteBoundCountingUtf8BytesAndAllowingExactlyTheBound() {
        ManualConnection conn = new ManualConnection();
        OutboundQueue q = new OutboundQueue(conn, 100, 10, unbounded(), new RecordingListener());
        assertFalse(q.offer(text("longer than ten"), null), "a frame larger than the whole bound is refused even by an empty queue");
        assertTrue(q.offer(text("0123456789"), null));
        assertEquals(0, q.queuedBytes(), "the frame being written is no longer queued");
        assertTrue(q.offer(text("ééé"), null));
        assertEquals(6, q.queuedBytes(), "three two-byte characters count six bytes, not three");
        assertFalse(q.offer(text("12345"), null), "6 + 5 > 10");
        assertTrue(q.offer(text("1234"), null), "6 + 4 = 10 is within the bound");
        assertEquals(10, q.queuedBytes());
        assertFalse(q.offer(text("x"), null));
        assertEquals(2, q.depth());
    }

    @Test
    void acceptsAgainAfterTheWriterCatchesUpAndDrainsToZero() {
        ManualConnection conn = new ManualConnection();
        RecordingListener listener = new RecordingListener();
        OutboundBudget budget = unbounded();
        OutboundQueue q = new OutboundQueue(conn, 2, 1_000_000, budget, listener);
        assertTrue(q.offer(text("a"), null));
        assertTrue(q.offer(text("b"), null));
        assertTrue(q.offer(text("c"), null));
        assertFalse(q.offer(text("d"), null), "full while the reader is behind");
        conn.completeNext(null); // a done, b in flight
        assertEquals(1, q.depth());
        assertTrue(q.offer(text("e"), null), "room again once the writer moved on");
        conn.completeNext(null); // b done, c in flight
        conn.completeNext(null); // c done, e in flight
        conn.completeNext(null); // e done
        assertEquals(0, conn.pendingCount());
        assertEquals(0, q.depth());
        assertEquals(0, q.queuedBytes());
        assertEquals(0, budget.bytes(), "a drained queue holds nothing of the global budget");
        assertEquals(List.of("a", "b", "c", "e"), conn.written());
        assertEquals(4, listener.sent.size());
    }

    @Test
    void aLongBacklogDrainedByInlineCompletionsLoopsInsteadOfRecursing() {
        ManualConnection conn = new ManualConnection();
        RecordingListener listener = new RecordingListener();
        int n = 50_000;
        OutboundQueue q = new OutboundQueue(conn, n, Long.MAX_VALUE, unbounded(), listener);
        for (int i = 0; i < n; i++) assertTrue(q.offer(text("m"), null));
        conn.autoComplete = true;
        // Every later write completes inline on this thread: one stack frame per message would overflow here.
        conn.completeNext(null);
        assertEquals(n, listener.sent.size());
        assertEquals(0, q.depth());
    }

    @Test
    void closeDropsWhatIsQueuedReleasesItsBudgetAndRefusesLaterOffers() {
        ManualConnection conn = new ManualConnection();
        OutboundBudget budget = unbounded();
        OutboundQueue q = new OutboundQueue(conn, 100, 1_000_000, budget, new RecordingListener());
        q.offer(text("in-flight"), null);
        q.offer(text("0123456789"), null);
        q.offer(text("01234"), null);
        assertEquals(2 * 15, budget.bytes(), "queued frames count twice their wire size");
        q.close();
        assertEquals(0, q.depth());
        assertEquals(0, q.queuedBytes());
        assertEquals(0, budget.bytes());
        assertFalse(q.offer(text("late"), null));
        assertEquals(0, budget.bytes(), "a refused offer takes no budget");
        conn.completeNext(null);
        assertEquals(List.of("in-flight"), conn.written(), "nothing is written after close");
    }

    @Test
    void aFailedWriteClosesTheQueueAndReportsTheError() {
        ManualConnection conn = new ManualConnection();
        RecordingListener listener = new RecordingListener();
        OutboundBudget budget = unbounded();
        OutboundQueue q = new OutboundQueue(conn, 100, 1_000_000, budget, listener);
        q.offer(text("a"), null);
        q.offer(text("b"), null);
        IOException broken = new IOException("broken pipe");
        conn.completeNext(broken);
        assertEquals(List.of(broken), listener.failures);
        assertTrue(listener.sent.isEmpty());
        assertEquals(List.of("a"), conn.written(), "nothing more is written to a failed transport");
        assertEquals(0, q.depth());
        assertEquals(0, budget.bytes());
        assertFalse(q.offer(text("c"), null));
    }

    @Test
    void aTransportThatThrowsCountsAsAFailedWrite() {
        AtomicInteger calls = new AtomicInteger();
        Connection throwing = new Connection() {
            @Override
            public void sendText(String text, Consumer<Throwable> done) {
                calls.incrementAndGet();
                throw new IllegalStateException("socket closed");
            }

            @Override
            public void sendBinary(ByteBuffer data, Consumer<Throwable> done) {
                throw new AssertionError("text frames only");
            }

            @Override
            public void close(int code, String reason) {
            }

            @Override
            public String id() {
                return "throwing";
            }
        };
        RecordingListener listener = new RecordingListener();
        OutboundQueue q = new OutboundQueue(throwing, 100, 1_000_000, unbounded(), listener);
        assertTrue(q.offer(text("a"), null), "the offer itself was accepted");
        assertEquals(1, listener.failures.size());
        assertEquals("socket closed", listener.failures.get(0).getMessage());
        assertFalse(q.offer(text("b"), null));
        assertEquals(1, calls.get());
    }

    @Test
    void usesTheRawFrameWhenTheTransportTakesItAndTheTypedSendOtherwise() {
        List<byte[]> framed = new ArrayList<>();
        ManualConnection raw = new ManualConnection() {
            @Override
            public int framesPerWrite() {
                return 1;
            }

            @Override
            public void sendFrames(ByteBuffer[] frames, int count, Consumer<Throwable> done) {
                byte[] b = new byte[frames[0].remaining()];
                frames[0].get(b);
                framed.add(b);
                done.accept(null);
            }
        };
        Frame f = text("hi");
        new OutboundQueue(raw, 10, 1_000, unbounded(), new RecordingListener()).offer(f, null);
        assertEquals(1, framed.size());
        assertArrayEquals(new byte[] {(byte) 0x81, 2, 'h', 'i'}, framed.get(0), "FIN + text opcode, length 2, payload");
        assertTrue(raw.written().isEmpty(), "not also sent as text");

        FakeConnection plain = new FakeConnection();
        byte[] bytes = {1, 2, 3};
        OutboundQueue q = new OutboundQueue(plain, 10, 1_000, unbounded(), new RecordingListener());
        q.offer(Frame.binary(bytes), null);
        q.offer(text("t"), null);
        assertEquals(1, plain.binaries().size());
        assertArrayEquals(bytes, plain.binaries().get(0));
        assertEquals(List.of("t"), plain.texts());
    }

    @Test
    void aFrameSharedByManyQueuesCountsOnceInTheGlobalBudgetUntilTheLastLetsGo() {
        OutboundBudget budget = unbounded();
        ManualConnection c1 = new ManualConnection();
        ManualConnection c2 = new ManualConnection();
        ManualConnection c3 = new ManualConnection();
        OutboundQueue q1 = new OutboundQueue(c1, 10, 1_000, budget, new RecordingListener());
        OutboundQueue q2 = new OutboundQueue(c2, 10, 1_000, budget, new RecordingListener());
        OutboundQueue q3 = new OutboundQueue(c3, 10, 1_000, budget, new RecordingListener());
        // Put one frame in flight on each, so the shared frame below stays queued.
        for (OutboundQueue q : List.of(q1, q2, q3)) q.offer(text("first"), null);
        assertEquals(0, budget.bytes(), "frames in flight are not counted");
        Frame shared = text("0123456789");
        q1.offer(shared, null);
        q2.offer(shared, null);
        q3.offer(shared, null);
        assertEquals(shared.heapBytes(), budget.bytes(), "three queues, one frame: counted once");
        assertEquals(20, budget.bytes());
        assertEquals(10, q1.queuedBytes(), "each queue still counts it against its own reader");
        c1.completeNext(null); // q1 hands the shared frame to its transport
        q2.close();
        assertEquals(20, budget.bytes(), "still held by q3");
        c3.completeNext(null);
        assertEquals(0, budget.bytes(), "the last holder let go");
    }

    @Test
    void crossingTheGlobalBoundRunsTheEnforcementOnTheOfferingThread() {
        List<Long> seenAt = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        OutboundBudget[] ref = new OutboundBudget[1];
        // 2 x 10 bytes per frame; the bound is 50: the third queued frame (60) crosses it.
        OutboundBudget budget = new OutboundBudget(50, () -> {
            seenAt.add(ref[0].bytes());
            threads.add(Thread.currentThread());
        });
        ref[0] = budget;
        ManualConnection conn = new ManualConnection();
        OutboundQueue q = new OutboundQueue(conn, 100, 1_000_000, budget, new RecordingListener());
        q.offer(text("in flight"), null);
        q.offer(text("0123456789"), null);
        q.offer(text("0123456789"), null);
        assertTrue(seenAt.isEmpty(), "40 of 50: no enforcement");
        assertFalse(budget.over());
        assertTrue(q.offer(text("0123456789"), null), "the offer that crosses the bound is still accepted");
        assertEquals(List.of(60L), seenAt, "enforced once, after the frame was counted");
        assertSame(Thread.currentThread(), threads.get(0));
        assertTrue(budget.over());
        q.offer(text("0123456789"), null);
        assertEquals(2, seenAt.size(), "every offer while over the bound asks again");
    }

    @Test
    void theEnforcementRunsOnOneThreadAtATimeAndOthersDoNotWaitForIt() {
        AtomicInteger runs = new AtomicInteger();
        OutboundQueue[] other = new OutboundQueue[1];
        List<Boolean> nestedAccepted = new ArrayList<>();
        OutboundBudget budget = new OutboundBudget(30, () -> {
            runs.incrementAndGet();
            // An offer made while the enforcement runs (here: from inside it) goes on without running it again.
            nestedAccepted.add(other[0].offer(text("0123456789"), null));
        });
        OutboundQueue q = new OutboundQueue(new ManualConnection(), 100, 1_000_000, budget, new RecordingListener());
        other[0] = new OutboundQueue(new ManualConnection(), 100, 1_000_000, budget, new RecordingListener());
        other[0].offer(text("f"), null);
        q.offer(text("f"), null);
        assertEquals(0, runs.get());
        q.offer(text("0123456789".repeat(2)), null); // 40 of 30: over
        assertEquals(1, runs.get(), "not re-entered by the nested offer");
        assertEquals(List.of(true), nestedAccepted);
        assertEquals(60, budget.bytes());
        q.offer(text("x"), null);
        assertEquals(2, runs.get(), "the guard was released after the run");
    }

    @Test
    void closingAQueueFromTheEnforcementReleasesItsBytesBeforeTheNextCheck() {
        // The engine's enforcement ranks connections by queuedBytes() and closes one at a time until over() is false;
        // which one it picks is the engine's (Engine.enforceOutboundBudget). What it relies on from the queues is
        // checked here: queuedBytes() measures each reader's lag, and close() gives the bytes back at once.
        List<Boolean> overAfterClose = new ArrayList<>();
        OutboundBudget[] ref = new OutboundBudget[1];
        OutboundQueue[] behind = new OutboundQueue[1];
        OutboundBudget budget = new OutboundBudget(100, () -> {
            behind[0].close();
            overAfterClose.add(ref[0].over());
        });
        ref[0] = budget;
        OutboundQueue small = new OutboundQueue(new ManualConnection(), 100, 1_000_000, budget, new RecordingListener());
        OutboundQueue large = new OutboundQueue(new ManualConnection(), 100, 1_000_000, budget, new RecordingListener());
        behind[0] = large;
        small.offer(text("x"), null);
        large.offer(text("x"), null);
        small.offer(text("0123456789"), null); // 20 of 100
        large.offer(text("0123456789".repeat(3)), null); // 80 of 100
        assertTrue(overAfterClose.isEmpty());
        assertTrue(large.queuedBytes() > small.queuedBytes(), "the reader further behind has more bytes queued");
        assertEquals(30, large.queuedBytes());
        assertEquals(10, small.queuedBytes());
        large.offer(text("0123456789".repeat(2)), null); // 80 + 40: over
        assertEquals(List.of(false), overAfterClose, "one close was enough, and the budget knew it at once");
        assertEquals(20, budget.bytes(), "what the other queue still holds");
        assertEquals(0, large.queuedBytes());
        assertTrue(small.offer(text("y"), null), "the others go on");
    }
}
