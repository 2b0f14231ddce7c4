package dev.herald.runtime.cdc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.cdc.filter.RowPredicate;
import dev.herald.runtime.protocol.Json;
import dev.herald.runtime.protocol.Outbound;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * Routes each change to the subscribers whose bindings it matches. Bindings are grouped by (table, event, filter,
 * leave): each group's predicate is evaluated once per change whatever the number of subscribers. Each
 * subscriber then gets one message carrying the ids of all its bindings that matched, and subscribers that end up
 * with the same ids and column selection share one encoded message.
 *
 * <p>Registration is thread-safe and takes effect for the next change dispatched; {@link #dispatch} is called by
 * one thread at a time (the {@link ChangeDispatcher} holds its lock around it). A binding whose evaluation throws is
 * reported through the failure callback and skipped; every other binding still receives the change. Each
 * subscriber's messages go to {@link Subscriber#deliver} in dispatch order.
 */
public final class SubscriptionIndex {
    /** Table key for wildcard bindings: "schema.*" and "*.*". */
    private static final String ANY = "*";

    private record GroupKey(String schema, String table, ChangeEvent.Type event, String filter, boolean leave) {
    }

    private static final class Group {
        final GroupKey key;
        final RowPredicate predicate;
        final List<PgSubscription> subscriptions = new CopyOnWriteArrayList<>();

        Group(GroupKey key, RowPredicate predicate) {
            this.key = key;
            this.predicate = predicate;
        }
    }

    private final ConcurrentHashMap<String, Map<GroupKey, Group>> byTable = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Subscriber, List<PgSubscription>> bySubscriber = new ConcurrentHashMap<>();
    private final BiConsumer<PgSubscription, Exception> failure;

    public SubscriptionIndex(BiConsumer<PgSubscription, Exception> failure) {
        this.failure = failure;
    }

    /** Replaces all bindings of {@code subscriber} with {@code subscriptions}. */
    public synchronized void register(Subscriber subscriber, List<PgSubscription> subscriptions) {
        unregister(subscriber);
        for (PgSubscription s : subscriptions) {
            String tableKey = key(s.schema(), s.table());
            GroupKey gk = new GroupKey(s.schema(), s.table(), s.event(), s.filter(), s.leave());
            Map<GroupKey, Group> groups = byTable.computeIfAbsent(tableKey, k -> new ConcurrentHashMap<>());
            groups.computeIfAbsent(gk, k -> new Group(k, s.predicate())).subscriptions.add(s);
        }
        bySubscriber.put(subscriber, List.copyOf(subscriptions));
    }

    public synchronized void unregister(Subscriber subscriber) {
        List<PgSubscription> old = bySubscriber.remove(subscriber);
        if (old == null) return;
        for (PgSubscription s : old) {
            String tableKey = key(s.schema(), s.table());
            Map<GroupKey, Group> groups = byTable.get(tableKey);
            if (groups == null) continue;
            GroupKey gk = new GroupKey(s.schema(), s.table(), s.event(), s.filter(), s.leave());
            Group g = groups.get(gk);
            if (g == null) continue;
            g.subscriptions.remove(s);
            if (g.subscriptions.isEmpty()) groups.remove(gk);
            if (groups.isEmpty()) byTable.remove(tableKey);
        }
    }

    /** Every binding that could receive changes of this table (exact and wildcard), for batch authorisation. */
    public List<PgSubscription> bindingsFor(String schema, String table) {
        List<PgSubscription> out = new ArrayList<>();
        for (String k : new String[] {key(schema, table), key(schema, null), key(null, null)}) {
            Map<GroupKey, Group> groups = byTable.get(k);
            if (groups != null) groups.values().forEach(g -> out.addAll(g.subscriptions));
        }
        return out;
    }

    public boolean hasBindingsFor(String schema, String table) {
        return byTable.containsKey(key(schema, table)) || byTable.containsKey(key(schema, null)) || byTable.containsKey(key(null, null));
    }

    /**
     * What one binding receives of one change: the columns it may see (null = all), whether {@code record} is cut to
     * the primary key (a leave event whose new image the subscriber may not see) and whether {@code old_record} is
     * shown (hidden when the old image was not visible to it).
     */
    public record Delivery(List<String> columns, boolean recordKeyOnly, boolean oldRecord) {
        public static final Delivery FULL = new Delivery(null, false, true);
    }

    /** Decides per binding what it receives of the change being dispatched; null withholds it. Must not throw. */
    @FunctionalInterface
    public interface Access {
        /**
         * @param matchedNow    the binding's filter matched the change's current image (new, or old for DELETE)
         * @param matchedBefore a {@code leave} binding's filter matched the old image of an UPDATE
         */
        Delivery delivery(PgSubscription s, boolean matchedNow, boolean matchedBefore);
    }

    /**
     * Delivers {@code event} to every subscriber with a matching binding. {@code allowed} decides per binding whether
     * its role may see the table (authorisation, cached by the caller).
     *
     * @return the number of subscribers it was delivered to
     */
    public int dispatch(TableInfo table, ChangeEvent event, Predicate<PgSubscription> allowed) {
        return dispatch(table, event, (s, now, before) -> allowed.test(s) ? Delivery.FULL : null);
    }

    /**
     * Delivers {@code event} to every subscriber with a matching binding, each getting what {@code access} allows.
     *
     * @return the number of subscribers it was delivered to
     */
    public int dispatch(TableInfo table, ChangeEvent event, Access access) {
        // subscriber -> (binding, what it gets), in registration order.
        Map<Subscriber, List<Granted>> matched = new LinkedHashMap<>();
        collect(byTable.get(key(table.schema(), table.name())), event, access, matched);
        collect(byTable.get(key(table.schema(), null)), event, access, matched);
        collect(byTable.get(key(null, null)), event, access, matched);
        if (matched.isEmpty()) return 0;

        Map<Shape, ObjectNode> dataByShape = new HashMap<>();
        Map<MessageKey, Outbound> encoded = new HashMap<>();
        for (Map.Entry<Subscriber, List<Granted>> e : matched.entrySet()) {
            Subscriber ch = e.getKey();
            // Bindings with different column selections need different payloads.
            Map<Shape, List<Integer>> idsByShape = new LinkedHashMap<>();
            for (Granted g : e.getValue()) {
                List<Integer> ids = idsByShape.computeIfAbsent(g.shape(), k -> new ArrayList<>());
                if (!ids.contains(g.binding().id())) ids.add(g.binding().id());
            }
            for (Map.Entry<Shape, List<Integer>> sel : idsByShape.entrySet()) {
                MessageKey mk = new MessageKey(ch.topic(), sel.getValue(), sel.getKey());
                Outbound out = encoded.computeIfAbsent(mk, k -> {
                    ObjectNode data = dataByShape.computeIfAbsent(k.shape(), sh -> payload(table, event, sh));
                    ObjectNode payload = Json.object();
                    payload.set("ids", Json.MAPPER.valueToTree(k.ids()));
                    payload.set("data", data);
                    // Herald's resume position; clients read it from the raw frame (realtime-js ignores the key).
                    payload.put("herald_pos", event.position().text());
                    return Outbound.push(k.topic(), "postgres_changes", payload);
                });
                ch.deliver(out);
            }
        }
        return matched.size();
    }

    /** The payload variant one set of bindings gets: columns (binding selection ∩ column privileges) and cuts. */
    private record Shape(List<String> select, boolean recordKeyOnly, boolean oldRecord) {
    }

    private record Granted(PgSubscription binding, Shape shape) {
    }

    private static ObjectNode payload(TableInfo table, ChangeEvent event, Shape shape) {
        ObjectNode data = ChangePayloads.build(table, event, shape.select());
        if (shape.recordKeyOnly() && data.get("record") instanceof ObjectNode record) {
            record.retain(table.columns().stream().filter(ColumnInfo::primaryKey).map(ColumnInfo::name).toList());
        }
        if (!shape.oldRecord() && data.has("old_record")) data.putObject("old_record");
        return data;
    }

    private record MessageKey(String topic, List<Integer> ids, Shape shape) {
    }

    private void collect(Map<GroupKey, Group> groups, ChangeEvent event, Access access, Map<Subscriber, List<Granted>> matched) {
        if (groups == null) return;
        for (Group g : groups.values()) {
            if (g.key.event() != null && g.key.event() != event.type()) continue;
            boolean now;
            boolean before;
            try {
                now = matchesNow(g, event);
                before = g.key.leave() && event.type() == ChangeEvent.Type.UPDATE && !event.oldRow().isEmpty()
                        && g.predicate != null && g.predicate.test(event.oldRow());
            } catch (RuntimeException ex) {
                for (PgSubscription s : g.subscriptions) failure.accept(s, ex);
                continue;
            }
            if (!now && !before) continue;
            for (PgSubscription s : g.subscriptions) {
                Delivery d;
                try {
                    d = access.delivery(s, now, before);
                } catch (RuntimeException ex) {
                    failure.accept(s, ex);
                    continue;
                }
                if (d == null) continue;
                List<String> select = s.select();
                if (d.columns() != null) {
                    List<String> narrowed = new ArrayList<>();
                    for (String c : d.columns()) if (select == null || select.contains(c)) narrowed.add(c);
                    select = List.copyOf(narrowed);
                }
                matched.computeIfAbsent(s.subscriber(), c -> new ArrayList<>()).add(new Granted(s, new Shape(select, d.recordKeyOnly(), d.oldRecord())));
            }
        }
    }

    private static boolean matchesNow(Group g, ChangeEvent event) {
        if (g.predicate == null) return true;
        return switch (event.type()) {
            case INSERT -> g.predicate.test(event.newRow());
            // DELETE filters see the old identity.
            case DELETE -> g.predicate.test(event.oldRow());
            case UPDATE -> g.predicate.test(event.rowAfter());
        };
    }

    private static String key(String schema, String table) {
        return Objects.requireNonNullElse(schema, ANY) + "." + Objects.requireNonNullElse(table, ANY);
    }
}
