package dev.herald.plugins.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LiveMetricsTest {
    static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
    final MutableClock clock = new MutableClock(START);
    final LiveCounters counters = new LiveCounters(START, Duration.ofSeconds(60));
    final List<Map<String, Object>> published = new ArrayList<>();
    final LiveMetricsPublisher publisher = new LiveMetricsPublisher(counters, clock, 1000, published::add);

    static Event event(String type, String user, Instant at) {
        return new Event(type, user, at, "{}", 0);
    }

    void record(String type, String user) {
        counters.record(List.of(event(type, user, clock.instant())), clock.millis());
    }

    @Test
    void publishesOnlyWhenSomethingChanged() {
        assertFalse(publisher.tick(), "nothing recorded, nothing published");
        record(EventTypes.PAGE_VIEW, "a");
        assertTrue(publisher.tick());
        assertEquals(1L, published.get(0).get("page_views"));
        assertEquals(1, published.get(0).get("active_users"));
        clock.advanceMillis(5000);
        assertFalse(publisher.tick(), "no change since the last publication");
        assertEquals(1, published.size());
    }

    @Test
    void neverTwiceWithinTheInterval() {
        // 10 seconds of ticks every 100 ms with an event before every tick: one publication per second at most.
        for (int i = 0; i < 100; i++) {
            record(EventTypes.USER_ACTION, "u" + (i % 7));
            publisher.tick();
            clock.advanceMillis(100);
        }
        assertEquals(10, published.size());
        assertEquals(10, publisher.updates());
        for (int i = 1; i < published.size(); i++) {
            long gap = Instant.parse((String) published.get(i).get("at")).toEpochMilli() - Instant.parse((String) published.get(i - 1).get("at")).toEpochMilli();
            assertTrue(gap >= 1000, "gap " + gap);
        }
        // the change made during the closed interval is not lost: it goes out once the interval has passed
        clock.advanceMillis(1000);
        assertTrue(publisher.tick());
        assertEquals(100L, published.get(published.size() - 1).get("user_actions"));
        assertEquals(7, published.get(published.size() - 1).get("active_users"));
    }

    @Test
    void bunchedTicksDoNotBreakTheBound() {
        record(EventTypes.PAGE_VIEW, null);
        assertTrue(publisher.tick());
        clock.advanceMillis(999);
        record(EventTypes.PAGE_VIEW, null);
        assertFalse(publisher.tick());
        assertFalse(publisher.tick());
        clock.advanceMillis(1);
        assertTrue(publisher.tick());
        assertEquals(2L, published.get(1).get("page_views"));
    }

    @Test
    void usersLeavingTheWindowArePublishedToo() {
        record(EventTypes.PAGE_VIEW, "a");
        clock.advanceMillis(30_000);
        record(EventTypes.PAGE_VIEW, "b");
        record(EventTypes.PAGE_VIEW, "b");
        assertTrue(publisher.tick());
        assertEquals(2, published.get(0).get("active_users"));
        clock.advanceMillis(30_001); // a's last event is now older than the 60 s window
        assertTrue(publisher.tick(), "the active-user count moved");
        assertEquals(1, published.get(1).get("active_users"));
        assertEquals(3L, published.get(1).get("page_views"));
    }

    @Test
    void aFailingSinkKeepsTheChangeForTheNextTick() {
        List<Map<String, Object>> out = new ArrayList<>();
        boolean[] fail = {true};
        LiveMetricsPublisher p = new LiveMetricsPublisher(counters, clock, 1000, s -> {
            if (fail[0]) throw new IllegalStateException("down");
            out.add(s);
        });
        record(EventTypes.PAGE_VIEW, null);
        assertThrows(IllegalStateException.class, p::tick);
        fail[0] = false;
        assertTrue(p.tick());
        assertEquals(1L, out.get(0).get("updates"));
    }

    @Test
    void rollupsCountPerMinuteAndSurviveAFailedFlush() {
        Instant m0 = START.plusSeconds(10);
        Instant m1 = START.plusSeconds(70);
        counters.record(List.of(event("page_view", null, m0), event("page_view", null, m0), event("user_action", null, m1)), clock.millis());
        Map<LiveCounters.RollupKey, Long> drained = counters.drainRollups();
        assertEquals(Map.of(new LiveCounters.RollupKey(START, "page_view"), 2L,
                new LiveCounters.RollupKey(START.plusSeconds(60), "user_action"), 1L), drained);
        assertTrue(counters.drainRollups().isEmpty(), "drained counts are gone");
        counters.record(List.of(event("page_view", null, m0)), clock.millis());
        counters.restore(drained); // the write failed
        assertEquals(3L, counters.drainRollups().get(new LiveCounters.RollupKey(START, "page_view")));
    }

    @Test
    void concurrentRecordingAndDrainingLoseNothing() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        long[] flushed = {0};
        Thread flusher = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                counters.drainRollups().values().forEach(n -> flushed[0] += n);
            }
        });
        flusher.start();
        for (int t = 0; t < 4; t++) {
            pool.submit(() -> {
                for (int i = 0; i < 25_000; i++) counters.record(List.of(event("page_view", "u" + (i % 100), START)), clock.millis());
            });
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        flusher.interrupt();
        flusher.join();
        counters.drainRollups().values().forEach(n -> flushed[0] += n);
        assertEquals(100_000, flushed[0]);
        assertEquals(100_000, counters.count("page_view"));
    }

    @Test
    void usageEventsAreCountedAndQueuedWithoutTheDatabase() {
        UsageRecorder usage = new UsageRecorder(counters, new ObjectMapper(), clock, 2);
        usage.record("voice_session", "u1", Map.of("seconds", 12.5, "audio_bytes", 4096));
        usage.record("voice_session", "u2", Map.of("seconds", 3));
        usage.record("voice_session", "u3", Map.of("seconds", 1)); // over the queue bound: dropped
        usage.record("Bad Type", null, Map.of());
        assertEquals(2, usage.dropped());
        Map<String, Object> s = counters.snapshot(clock.millis(), 0);
        assertEquals(2L, s.get("voice_sessions"));
        assertEquals(15.5, s.get("voice_seconds"));
        List<Event> queued = usage.drain();
        assertEquals(2, queued.size());
        assertTrue(queued.get(0).propertiesJson().contains("\"audio_bytes\":4096"));
        usage.requeue(queued);
        assertEquals(2, usage.drain().size());
    }
}
