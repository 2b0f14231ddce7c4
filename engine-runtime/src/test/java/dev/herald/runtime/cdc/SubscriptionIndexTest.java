package dev.herald.runtime.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.runtime.cdc.filter.RowPredicate;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.Outbound;
import dev.herald.runtime.protocol.ProtocolVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class SubscriptionIndexTest {
    private final TableInfo table = new TableInfo("public", "t", List.of(new ColumnInfo("id", "int4", 1, true),
            new ColumnInfo("room", "int4", 2, false)), false, 'f');

    /** The postgres_changes frames a subscriber was handed, as a vsn 2 client receives them. */
    private static List<JsonNode> changes(RecordingSubscriber s) {
        List<JsonNode> out = new ArrayList<>();
        synchronized (s) {
            for (Outbound o : s.delivered) {
                try {
                    out.add(Json.read(o.frameFor(ProtocolVersion.V2).text()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return out;
    }

    private static RowPredicate predicate(Predicate<Map<String, Object>> p) {
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
        RecordingSubscriber g = new RecordingSubscriber("realtime:g");
        RecordingSubscriber b = new RecordingSubscriber("realtime:b");
        index.register(g, List.of(new PgSubscription(g, 11, "public", "t", null, "room=eq.1", predicate(r -> r.get("room").equals(1L)), null, false, "anon", null, null)));
        index.register(b, List.of(new PgSubscription(b, 22, "public", "t", null, "boom", predicate(r -> {
            throw new IllegalStateException("boom");
        }), null, false, "anon", null, null)));
        assertEquals(1, index.dispatch(table, insert(1, 1), s -> true));
        assertEquals(1, failed.size());
        assertEquals(22, failed.get(0).id());
        assertEquals(1, changes(g).size());
        assertEquals(0, changes(b).size());
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
        List<RecordingSubscriber> subs = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            RecordingSubscriber ch = new RecordingSubscriber("realtime:room");
            subs.add(ch);
            index.register(ch, List.of(new PgSubscription(ch, 7, "public", "t", ChangeEvent.Type.INSERT, "room=eq.3", counting, null, false, "anon", null, null)));
        }
        assertEquals(50, index.dispatch(table, insert(1, 3), s -> true));
        assertEquals(1, evaluations[0]);
        assertEquals(0, index.dispatch(table, insert(2, 4), s -> true));
        assertEquals(2, evaluations[0]);
        Outbound first = subs.get(0).delivered.get(0);
        for (RecordingSubscriber c : subs) assertSame(first, c.delivered.get(0), "one encoding shared by every subscriber");
        JsonNode msg = changes(subs.get(0)).get(0).get(4);
        assertEquals("[7]", msg.get("ids").toString());
    }

    @Test
    void leaveOptInDeliversTheUpdateThatMovesARowOutOfTheFilter() {
        SubscriptionIndex index = new SubscriptionIndex((s, e) -> {
        });
        RecordingSubscriber p = new RecordingSubscriber("realtime:p");
        RecordingSubscriber l = new RecordingSubscriber("realtime:l");
        RowPredicate room1 = predicate(r -> Long.valueOf(1).equals(r.get("room")));
        index.register(p, List.of(new PgSubscription(p, 1, "public", "t", null, "room=eq.1", room1, null, false, "anon", null, null)));
        index.register(l, List.of(new PgSubscription(l, 2, "public", "t", null, "room=eq.1", room1, null, true, "anon", null, null)));
        ChangeEvent moveOut = new ChangeEvent("public", "t", ChangeEvent.Type.UPDATE, Instant.now(), new ChangeEvent.StreamPosition(1, 9),
                Map.of("id", 1L, "room", 2L), Map.of("id", 1L, "room", 1L), 16);
        index.dispatch(table, moveOut, s -> true);
        assertEquals(0, changes(p).size());
        assertEquals(1, changes(l).size());
    }

    @Test
    void eachBindingGetsTheColumnsAndImagesItsAccessAllows() {
        SubscriptionIndex index = new SubscriptionIndex((s, e) -> {
        });
        RecordingSubscriber n = new RecordingSubscriber("realtime:n");
        RecordingSubscriber c = new RecordingSubscriber("realtime:c");
        RecordingSubscriber d = new RecordingSubscriber("realtime:d");
        index.register(n, List.of(new PgSubscription(n, 1, null, null, null, null, null, null, false, "anon", null, null)));
        index.register(c, List.of(new PgSubscription(c, 2, "public", "t", null, null, null, null, true, "anon", null, null)));
        index.register(d, List.of(new PgSubscription(d, 3, "public", "t", null, null, null, null, false, "anon", null, null)));
        ChangeEvent update = new ChangeEvent("public", "t", ChangeEvent.Type.UPDATE, Instant.now(), new ChangeEvent.StreamPosition(1, 10),
                Map.of("id", 1L, "room", 2L), Map.of("id", 1L, "room", 1L), 16);
        index.dispatch(table, update, (s, now, before) -> switch (s.id()) {
            case 1 -> new SubscriptionIndex.Delivery(List.of("id"), false, true);
            case 2 -> new SubscriptionIndex.Delivery(null, true, false);
            default -> null;
        });
        JsonNode wildcard = changes(n).get(0).get(4).get("data");
        assertEquals("{\"id\":1}", wildcard.get("record").toString(), "only the permitted columns");
        assertEquals("[{\"name\":\"id\",\"type\":\"int4\"}]", wildcard.get("columns").toString());
        JsonNode leave = changes(c).get(0).get(4).get("data");
        assertEquals("{\"id\":1}", leave.get("record").toString(), "record cut to the key");
        assertEquals("{}", leave.get("old_record").toString(), "old record withheld");
        assertEquals(0, changes(d).size());
    }
}
