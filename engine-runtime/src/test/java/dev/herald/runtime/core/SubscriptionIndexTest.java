package dev.herald.runtime.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.boot.RealtimeSessionTest;
import dev.herald.runtime.cdc.ChangeEvent;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.boot.RealtimeSessionTest;
import dev.herald.runtime.cdc.ColumnInfo;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.boot.RealtimeSessionTest;
import dev.herald.runtime.cdc.PgSubscription;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.boot.RealtimeSessionTest;
import dev.herald.runtime.cdc.SubscriptionIndex;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.boot.RealtimeSessionTest;
import dev.herald.runtime.cdc.TableInfo;
import dev.herald.runtime.boot.Engine;
import dev.herald.runtime.boot.RealtimeSessionTest;
import dev.herald.runtime.cdc.filter.RowPredicate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SubscriptionIndexTest {
    private final Engine engine = RealtimeSessionTest.engine(Map.of());
    private final TableInfo table = new TableInfo("public", "t", List.of(new ColumnInfo("id", "int4", 1, true),
            new ColumnInfo("room", "int4", 2, false)), false, 'f');

    @AfterEach
    void stop() {
        engine.close();
    }

    private Channel joined(FakeConnection conn, String topic) {
        RealtimeSession s = engine.open(conn, engine.checkHandshake("2.0.0", Tokens.valid(), null));
        s.onText("[\"1\",\"1\",\"realtime:" + topic + "\",\"phx_join\",{\"config\":{}}]");
        return new Channel(s, new TopicKey(false, topic), "1", JoinRequest.parse(null), "k", null);
    }

    private static RowPredicate predicate(java.util.function.Predicate<Map<String, Object>> p) {
        return new RowPredicate() {
            @Override
            public boolean test(Map<String, Object> row) {
                return p.test(row);
            }

            @Override
            public Set<String> columns() {
                return Set.of("room");
            }
        };
    }

    private static ChangeEvent insert(long id, long room) {
        return new ChangeEvent("public", "t", ChangeEvent.Type.INSERT, Instant.parse("2026-01-01T00:00:00Z"),
                new ChangeEvent.StreamPosition(1, id), Map.of("id", id, "room", room), Map.of(), 16);
    }

    @Test
    void aThrowingBindingIsReportedAloneAndOthersStillReceive() {
        List<PgSubscription> failed = new ArrayList<>();
        SubscriptionIndex index = new SubscriptionIndex((s, e) -> failed.add(s));
        FakeConnection good = new FakeConnection();
        FakeConnection bad = new FakeConnection();
        Channel g = joined(good, "g");
        Channel b = joined(bad, "b");
        index.register(g, List.of(new PgSubscription(g, 11, "public", "t", null, "room=eq.1", predicate(r -> r.get("room").equals(1L)), null, false, "anon", null, null)));
        index.register(b, List.of(new PgSubscription(b, 22, "public", "t", null, "boom", predicate(r -> {
            throw new IllegalStateException("boom");
        }), null, false, "anon", null, null)));
        good.clear();
        bad.clear();
        assertEquals(1, index.dispatch(table, insert(1, 1), s -> true));
        assertEquals(1, failed.size());
        assertEquals(22, failed.get(0).id());
        assertEquals(1, good.events("postgres_changes").size());
        assertEquals(0, bad.events("postgres_changes").size());
    }

    @Test
    void eachDistinctFilterIsEvaluatedOncePerChangeAndSameIdsShareOneEncoding() {
        SubscriptionIndex index = new SubscriptionIndex((s, e) -> {
        });
        int[] evaluations = {0};
        RowPredicate counting = predicate(r -> {
            evaluations[0]++;
            return r.get("room").equals(3L);
        });
        List<FakeConnection> conns = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            FakeConnection conn = new FakeConnection();
            Channel ch = joined(conn, "room");
            conn.clear();
            conns.add(conn);
            index.register(ch, List.of(new PgSubscription(ch, 7, "public", "t", ChangeEvent.Type.INSERT, "room=eq.3", counting, null, false, "anon", null, null)));
        }
        assertEquals(50, index.dispatch(table, insert(1, 3), s -> true));
        assertEquals(1, evaluations[0]);
        assertEquals(0, index.dispatch(table, insert(2, 4), s -> true));
        assertEquals(2, evaluations[0]);
        String first = conns.get(0).texts().get(0);
        for (FakeConnection c : conns) assertTrue(c.texts().get(0) == first || c.texts().get(0).equals(first));
        JsonNode msg = conns.get(0).events("postgres_changes").get(0).get(4);
        assertEquals("[7]", msg.get("ids").toString());
    }

    @Test
    void leaveOptInDeliversTheUpdateThatMovesARowOutOfTheFilter() {
        SubscriptionIndex index = new SubscriptionIndex((s, e) -> {
        });
        FakeConnection plain = new FakeConnection();
        FakeConnection leaving = new FakeConnection();
        Channel p = joined(plain, "p");
        Channel l = joined(leaving, "l");
        RowPredicate room1 = predicate(r -> Long.valueOf(1).equals(r.get("room")));
        index.register(p, List.of(new PgSubscription(p, 1, "public", "t", null, "room=eq.1", room1, null, false, "anon", null, null)));
        index.register(l, List.of(new PgSubscription(l, 2, "public", "t", null, "room=eq.1", room1, null, true, "anon", null, null)));
        plain.clear();
        leaving.clear();
        ChangeEvent moveOut = new ChangeEvent("public", "t", ChangeEvent.Type.UPDATE, Instant.now(), new ChangeEvent.StreamPosition(1, 9),
                Map.of("id", 1L, "room", 2L), Map.of("id", 1L, "room", 1L), 16);
        index.dispatch(table, moveOut, s -> true);
        assertEquals(0, plain.events("postgres_changes").size());
        assertEquals(1, leaving.events("postgres_changes").size());
    }

    @Test
    void eachBindingGetsTheColumnsAndImagesItsAccessAllows() {
        SubscriptionIndex index = new SubscriptionIndex((s, e) -> {
        });
        FakeConnection narrow = new FakeConnection();
        FakeConnection cut = new FakeConnection();
        FakeConnection denied = new FakeConnection();
        Channel n = joined(narrow, "n");
        Channel c = joined(cut, "c");
        Channel d = joined(denied, "d");
        index.register(n, List.of(new PgSubscription(n, 1, null, null, null, null, null, null, false, "anon", null, null)));
        index.register(c, List.of(new PgSubscription(c, 2, "public", "t", null, null, null, null, true, "anon", null, null)));
        index.register(d, List.of(new PgSubscription(d, 3, "public", "t", null, null, null, null, false, "anon", null, null)));
        narrow.clear();
        cut.clear();
        denied.clear();
        ChangeEvent update = new ChangeEvent("public", "t", ChangeEvent.Type.UPDATE, Instant.now(), new ChangeEvent.StreamPosition(1, 10),
                Map.of("id", 1L, "room", 2L), Map.of("id", 1L, "room", 1L), 16);
        index.dispatch(table, update, (s, now, before) -> switch (s.id()) {
            case 1 -> new SubscriptionIndex.Delivery(List.of("id"), false, true);
            case 2 -> new SubscriptionIndex.Delivery(null, true, false);
            default -> null;
        });
        JsonNode wildcard = narrow.events("postgres_changes").get(0).get(4).get("data");
        assertEquals("{\"id\":1}", wildcard.get("record").toString(), "only the permitted columns");
        assertEquals("[{\"name\":\"id\",\"type\":\"int4\"}]", wildcard.get("columns").toString());
        JsonNode leave = cut.events("postgres_changes").get(0).get(4).get("data");
        assertEquals("{\"id\":1}", leave.get("record").toString(), "record cut to the key");
        assertEquals("{}", leave.get("old_record").toString(), "old record withheld");
        assertEquals(0, denied.events("postgres_changes").size());
    }
}
