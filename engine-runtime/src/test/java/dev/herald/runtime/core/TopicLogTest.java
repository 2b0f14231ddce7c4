package dev.herald.runtime.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.Outbound;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link TopicLog} and the shared {@link ReplayBudget} with a recording broker and no durable store: positions, the
 * resume window and its bounds, retirement. The epoch generations of retired topics are chosen by the engine; here
 * only what a log does with the epoch and continuation offset it is given.
 */
class TopicLogTest {
    private static final TopicKey KEY = new TopicKey(false, "room1");
    private static final TopicKey OTHER = new TopicKey(false, "room2");
    private static final long UNBOUNDED = Long.MAX_VALUE;
    /** Ten minutes, as the default: nothing ages out during a test unless the test moves the clock. */
    private static final long LONG_AGE_MS = 600_000;

    /** Records what is published and who subscribes; delivers nothing. */
    private static final class RecordingBroker implements Broker {
        final List<Outbound> published = new CopyOnWriteArrayList<>();
        final List<Channel> excepts = new CopyOnWriteArrayList<>();
        final Set<Channel> subscribed = ConcurrentHashMap.newKeySet();

        @Override
        public void subscribe(Channel channel) {
            subscribed.add(channel);
        }

        @Override
        public void unsubscribe(Channel channel) {
            subscribed.remove(channel);
        }

        @Override
        public int publish(TopicKey key, Outbound message, Channel except, boolean presenceOnly) {
            published.add(message);
            excepts.add(except);
            return subscribed.size();
        }

        @Override
        public int subscribers(TopicKey key) {
            return subscribed.size();
        }
    }

    private final RecordingBroker broker = new RecordingBroker();
    /** The offsets the log asked messages to be built for, in order. */
    private final List<Long> builtFor = Collections.synchronizedList(new ArrayList<>());

    private TopicLog log(TopicKey key, String epoch, int maxMessages, long maxBytes, ReplayBudget budget, long continueAt) {
        return new TopicLog(key, epoch, broker, maxMessages, maxBytes, budget, null, continueAt, false);
    }

    private TopicLog log(int maxMessages, long maxBytes, ReplayBudget budget) {
        return log(KEY, "e1", maxMessages, maxBytes, budget, 0);
    }

    /** Publishes a message whose payload is {@code {"n": <offset>, "pad": <padding>}}; returns it. */
    private Outbound publish(TopicLog log, String padding) {
        int before = broker.published.size();
        int handed = log.publish(offset -> {
            builtFor.add(offset);
            ObjectNode p = Json.object();
            p.put("n", offset);
            p.put("pad", padding);
            return new TopicLog.Built(Outbound.push(KEY.joinTopic(), "broadcast", p), p, null);
        }, null);
        assertTrue(handed >= 0, "published, not retired");
        assertEquals(before + 1, broker.published.size());
        return broker.published.get(before);
    }

    private List<Outbound> publish(TopicLog log, int n) {
        List<Outbound> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(publish(log, "x"));
        return out;
    }

    /** What a resume from {@code position} gets (through subscribe, the only way a resume reaches the log). */
    private TopicLog.Replay resume(TopicLog log, String position) {
        TopicLog.Replay[] got = new TopicLog.Replay[1];
        assertTrue(log.subscribe(channel(), position, r -> got[0] = r));
        return got[0];
    }

    private static Channel channel() {
        return channel(KEY);
    }

    private static Channel channel(TopicKey key) {
        return new Channel(null, key, "1", JoinRequest.parse(Json.object()), "", null);
    }

    private static void assertMessages(List<Outbound> expected, TopicLog.Replay replay) {
        assertTrue(replay.recovered(), "recovered");
        assertEquals(expected.size(), replay.messages().size(), "message count");
        for (int i = 0; i < expected.size(); i++) assertSame(expected.get(i), replay.messages().get(i), "message " + i);
    }

    private static void assertNotRecoverable(TopicLog.Replay replay) {
        assertFalse(replay.recovered(), "not recoverable");
        assertTrue(replay.messages().isEmpty(), "and nothing is replayed");
    }

    @Test
    void positionsStartAfterZeroAndIncreaseByOnePerMessage() {
        TopicLog log = log(100, UNBOUNDED, new ReplayBudget(UNBOUNDED, LONG_AGE_MS));
        assertEquals("b:e1:0", log.currentPosition(), "offset 0 stands for nothing published yet");
        assertEquals("b:e1:7", log.position(7));
        publish(log, 3);
        assertEquals(List.of(1L, 2L, 3L), builtFor, "each message is built for the next offset");
        assertEquals("b:e1:3", log.currentPosition());
    }

    @Test
    void concurrentPublishersNeverShareAnOffset() throws Exception {
        TopicLog log = log(10_000, UNBOUNDED, new ReplayBudget(UNBOUNDED, LONG_AGE_MS));
        int threads = 4;
        int each = 500;
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < each; i++) log.publish(offset -> {
                    builtFor.add(offset);
                    ObjectNode p = Json.object();
                    return new TopicLog.Built(Outbound.push(KEY.joinTopic(), "broadcast", p), p, null);
                }, null);
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) th.join(10_000);
        List<Long> sorted = new ArrayList<>(builtFor);
        Collections.sort(sorted);
        assertEquals(threads * each, sorted.size());
        for (int i = 0; i < sorted.size(); i++) assertEquals(i + 1, sorted.get(i), "offsets 1..n, each once");
        assertEquals(builtFor, sorted, "handed out in publish order (publishing holds the topic lock)");
    }

    @Test
    void resumeReturnsExactlyTheMessagesAfterThePositionInOrder() {
        TopicLog log = log(100, UNBOUNDED, new ReplayBudget(UNBOUNDED, LONG_AGE_MS));
        List<Outbound> sent = publish(log, 5);
        assertMessages(sent.subList(2, 5), resume(log, "b:e1:2"));
        assertMessages(sent, resume(log, "b:e1:0"));
        assertMessages(List.of(), resume(log, log.currentPosition()));
    }

    @Test
    void aResumeFromTheStartOfAnEmptyLogIsRecoveredWithNothing() {
        TopicLog log = log(100, UNBOUNDED, new ReplayBudget(UNBOUNDED, LONG_AGE_MS));
        assertMessages(List.of(), resume(log, log.currentPosition()));
    }

    @Test
    void positionsThatAreNotThisStreamsAreNotRecoverable() {
        TopicLog log = log(100, UNBOUNDED, new ReplayBudget(UNBOUNDED, LONG_AGE_MS));
        publish(log, 3);
        assertNotRecoverable(resume(log, "b:e0:1")); // another epoch: a restart or an earlier incarnation
        assertNotRecoverable(resume(log, "b:e1:4")); // ahead of anything this log gave
        assertNotRecoverable(resume(log, "b:e1:x"));
        assertNotRecoverable(resume(log, "b:e1"));
        assertNotRecoverable(resume(log, "b:e1:1:2"));
        assertNotRecoverable(resume(log, "c:e1:1")); // a changes position
        assertNotRecoverable(resume(log, null)); // a join without resume
    }

    @Test
    void keepsAtMostMaxMessagesPerTopic() {
        ReplayBudget budget = new ReplayBudget(UNBOUNDED, LONG_AGE_MS);
        TopicLog log = log(3, UNBOUNDED, budget);
        List<Outbound> sent = publish(log, 5);
        assertEquals(3, budget.count());
        assertMessages(sent.subList(2, 5), resume(log, "b:e1:2"), "the oldest kept is offset 3");
        assertNotRecoverable(resume(log, "b:e1:1")); // offset 2 was dropped
        assertNotRecoverable(resume(log, "b:e1:0"));
    }

    private static void assertMessages(List<Outbound> expected, TopicLog.Replay replay, String why) {
        assertTrue(replay.recovered(), why);
        assertMessages(expected, replay);
    }

    @Test
    void maxMessagesZeroKeepsNothingButStillAnswersAnUpToDateResume() {
        ReplayBudget budget = new ReplayBudget(UNBOUNDED, LONG_AGE_MS);
        TopicLog log = log(0, UNBOUNDED, budget);
        publish(log, 3);
        assertEquals(0, budget.count());
        assertEquals(0, budget.bytes());
        assertTrue(log.isEmpty());
        assertMessages(List.of(), resume(log, "b:e1:3"));
        assertNotRecoverable(resume(log, "b:e1:2"));
    }

    /** What one kept message costs, as the log measures it (same payload size every time). */
    private static long cost(Outbound message) {
        return message.retainedBytes() + ReplayBudget.ENTRY_OVERHEAD;
    }

    @Test
    void keepsAtMostTheTopicsByteBound() {
        ReplayBudget probeBudget = new ReplayBudget(UNBOUNDED, LONG_AGE_MS);
        long cost = cost(publish(log(KEY, "probe", 10, UNBOUNDED, probeBudget, 0), "0123456789"));
        assertEquals(cost, probeBudget.bytes(), "the budget counts the estimated retained size plus the entry overhead");
        broker.published.clear();

        ReplayBudget budget = new ReplayBudget(UNBOUNDED, LONG_AGE_MS);
        TopicLog log = log(100, 2 * cost, budget);
        List<Outbound> sent = new ArrayList<>();
        for (int i = 0; i < 4; i++) sent.add(publish(log, "0123456789"));
        assertEquals(2, budget.count(), "two messages fill the topic's bytes exactly; a third is over");
        assertEquals(2 * cost, budget.bytes());
        assertMessages(sent.subList(2, 4), resume(log, "b:e1:2"));
        assertNotRecoverable(resume(log, "b:e1:1"));
    }

    @Test
    void theSharedBudgetDropsTheOldestMessageOfAnyTopic() {
        ReplayBudget probeBudget = new ReplayBudget(UNBOUNDED, LONG_AGE_MS);
        long cost = cost(publish(log(KEY, "probe", 10, UNBOUNDED, probeBudget, 0), "0123456789"));
        broker.published.clear();

        ReplayBudget budget = new ReplayBudget(3 * cost, LONG_AGE_MS);
        TopicLog a = log(KEY, "e1", 100, UNBOUNDED, budget, 0);
        TopicLog b = log(OTHER, "e1", 100, UNBOUNDED, budget, 0);
        Outbound a1 = publish(a, "0123456789");
        Outbound a2 = publish(a, "0123456789");
        Outbound b1 = publish(b, "0123456789");
        assertEquals(3, budget.count());
        Outbound b2 = publish(b, "0123456789");
        assertEquals(3, budget.count(), "the fourth message pushed one out");
        assertEquals(3 * cost, budget.bytes());
        assertNotRecoverable(resume(a, "b:e1:0")); // a1, the oldest of all topics, went
        assertMessages(List.of(a2), resume(a, "b:e1:1"));
        assertMessages(List.of(b1, b2), resume(b, "b:e1:0"), "the other topic's messages stay");
        Outbound b3 = publish(b, "0123456789");
        assertNotRecoverable(resume(a, "b:e1:1")); // a2 went next, although topic b published
        assertTrue(a.isEmpty());
        assertMessages(List.of(b1, b2, b3), resume(b, "b:e1:0"));
        assertSame(a1, broker.published.get(0), "(the dropped message was published normally)");
    }

    @Test
    void theSweepDropsMessagesOlderThanTheAgeBoundOfEveryTopic() {
        ReplayBudget budget = new ReplayBudget(UNBOUNDED, 60_000);
        TopicLog a = log(KEY, "e1", 100, UNBOUNDED, budget, 0);
        TopicLog b = log(OTHER, "e1", 100, UNBOUNDED, budget, 0);
        publish(a, 2);
        publish(b, 1);
        budget.sweep(System.currentTimeMillis() + 30_000);
        assertEquals(3, budget.count(), "younger than the bound: kept");
        budget.sweep(System.currentTimeMillis() + 60_001);
        assertEquals(0, budget.count());
        assertEquals(0, budget.bytes());
        assertTrue(a.isEmpty());
        assertTrue(b.isEmpty());
        assertNotRecoverable(resume(a, "b:e1:0"));
        assertMessages(List.of(), resume(a, "b:e1:2"), "up to date: nothing was missed");
    }

    @Test
    void aResumeAppliesTheAgeBoundItself() throws Exception {
        ReplayBudget budget = new ReplayBudget(UNBOUNDED, 400);
        TopicLog log = log(100, UNBOUNDED, budget);
        publish(log, 2);
        assertMessages(broker.published.subList(1, 2), resume(log, "b:e1:1"), "fresh: recovered");
        Thread.sleep(450);
        // No timer ran: the resume's own sweep drops what is too old before answering.
        assertNotRecoverable(resume(log, "b:e1:0"));
        assertEquals(0, budget.count());
    }

    @Test
    void subscribeDeliversTheReplayBeforeAnyLiveMessageCanBePublished() throws Exception {
        TopicLog log = log(100, UNBOUNDED, new ReplayBudget(UNBOUNDED, LONG_AGE_MS));
        List<Outbound> sent = publish(log, 2);
        Channel ch = channel();
        List<String> order = new CopyOnWriteArrayList<>();
        Thread[] publisher = new Thread[1];
        boolean subscribed = log.subscribe(ch, "b:e1:0", replay -> {
            assertTrue(broker.subscribed.contains(ch), "subscribed before the replay is handed over");
            assertMessages(sent, replay);
            publisher[0] = new Thread(() -> {
                publish(log, "live");
                order.add("live published");
            });
            publisher[0].start();
            // The publisher waits for the topic lock this replay holds.
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (publisher[0].getState() != Thread.State.BLOCKED && System.nanoTime() < end) Thread.onSpinWait();
            assertEquals(Thread.State.BLOCKED, publisher[0].getState());
            order.add("replay delivered");
        });
        assertTrue(subscribed);
        publisher[0].join(5_000);
        assertEquals(List.of("replay delivered", "live published"), order);
        assertEquals(3, broker.published.size());
    }

    @Test
    void publishHandsTheExceptedChannelToTheBrokerAndReportsHowManyGotIt() {
        TopicLog log = log(100, UNBOUNDED, new ReplayBudget(UNBOUNDED, LONG_AGE_MS));
        Channel sender = channel();
        broker.subscribe(sender);
        broker.subscribe(channel());
        int handed = log.publish(offset -> {
            ObjectNode p = Json.object();
            return new TopicLog.Built(Outbound.push(KEY.joinTopic(), "broadcast", p), p, null);
        }, sender);
        assertEquals(2, handed, "what the broker answered");
        assertSame(sender, broker.excepts.get(0));
    }

    @Test
    void retiresOnlyWhenEmptyUnsubscribedAndIdleForTheGrace() {
        ReplayBudget budget = new ReplayBudget(UNBOUNDED, 60_000);
        TopicLog log = log(100, UNBOUNDED, budget);
        long later = System.currentTimeMillis() + 10_000;
        assertFalse(log.retireIfIdle(System.currentTimeMillis(), 10_000), "used just now");
        publish(log, 1);
        assertFalse(log.retireIfIdle(later, 1_000), "keeps a message");
        budget.sweep(System.currentTimeMillis() + 60_001);
        Channel ch = channel();
        broker.subscribe(ch);
        assertFalse(log.retireIfIdle(later, 1_000), "has a subscriber");
        broker.unsubscribe(ch);
        assertTrue(log.retireIfIdle(later, 1_000));
        assertTrue(log.retireIfIdle(later, 1_000), "stays retired");
    }

    @Test
    void aRetiredLogRefusesUseAndItsSuccessorContinuesTheStreamWithoutReusingAPosition() {
        ReplayBudget budget = new ReplayBudget(UNBOUNDED, LONG_AGE_MS);
        TopicLog first = log(0, UNBOUNDED, budget);
        publish(first, 3);
        String lastSeen = first.currentPosition();
        assertTrue(first.retireIfIdle(System.currentTimeMillis() + 1_000, 0));
        int before = broker.published.size();
        assertEquals(TopicLog.RETIRED, first.publish(offset -> {
            throw new AssertionError("a retired log builds nothing");
        }, null));
        assertEquals(before, broker.published.size());
        assertFalse(first.subscribe(channel(), lastSeen, r -> {
            throw new AssertionError("a retired log replays nothing");
        }));
        assertTrue(broker.subscribed.isEmpty(), "nothing was subscribed");
        assertNull(first.currentPosition());

        TopicLog.Tomb tomb = first.tomb();
        assertEquals(KEY, tomb.key());
        assertEquals("e1", tomb.epoch());
        assertEquals(4, tomb.nextOffset());

        // The engine still remembers the tomb: same epoch, continuing offsets.
        TopicLog next = log(KEY, tomb.epoch(), 0, UNBOUNDED, budget, tomb.nextOffset());
        assertMessages(List.of(), resume(next, lastSeen), "a client that missed nothing resumes recovered");
        builtFor.clear();
        publish(next, 1);
        assertEquals(List.of(4L), builtFor, "continues after the retired log's last offset");
        assertNotRecoverable(resume(next, "b:e1:2")); // but what the retired log kept is gone

        // The tomb was forgotten: the engine hands a new epoch; the old positions are not recoverable.
        TopicLog fresh = log(KEY, "e1.1", 100, UNBOUNDED, budget, 0);
        assertEquals("b:e1.1:0", fresh.currentPosition());
        assertNotRecoverable(resume(fresh, lastSeen));
    }
}
