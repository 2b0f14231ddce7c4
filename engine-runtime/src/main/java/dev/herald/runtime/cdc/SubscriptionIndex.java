package dev.herald.runtime.cdc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.cdc.filter.RowPredicate;
import dev.herald.runtime.core.Channel;
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

/**
 * Routes each change to the channels whose bindings it matches. Bindings are grouped by (table, event, filter,
 * leave): each group's predicate is evaluated once per change whatever the number of subscribers. Each channel
 * then gets one message carrying the ids of all its bindings that matched, and channels that end up with the same
 * ids and column selection share one encoded message.
 *
 * <p>Registration is thread-safe and takes effect for the next change dispatched; {@link #dispatch} runs on the
 * change-feed thread only. A binding whose evaluation throws is reported through the failure callback and skipped;
 * every other binding still receives the change.
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
    private final ConcurrentHashMap<Channel, List<PgSubscription>> byChannel = new ConcurrentHashMap<>();
    private final BiConsumer<PgSubscription, Exception> failure;

    public SubscriptionIndex(BiConsumer<PgSubscription, Exception> failure) {
        this.failure = failure;
    }

    /** Replaces all bindings of {@code channel} with {@code subscriptions}. */
    public synchronized void register(Channel channel, List<PgSubscription> subscriptions) {
        unregister(channel);
        for (PgSubscription s : subscriptions) {
            String tableKey = key(s.schema(), s.table());
            GroupKey gk = new GroupKey(s.schema(), s.table(), s.event(), s.filter(), s.leave());
            Map<GroupKey, Group> groups = byTable.computeIfAbsent(tableKey, k -> new ConcurrentHashMap<>());
            groups.computeIfAbsent(gk, k -> new Group(k, s.predicate())).subscriptions.add(s);
        }
        byChannel.put(channel, List.copyOf(subscriptions));
    }

    public synchronized void unregister(Channel channel) {
        List<PgSubscription> old = byChannel.remove(channel);
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

    public int channelCount() {
        return byChannel.size();
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
     * Delivers {@code event} to every channel with a matching binding. {@code allowed} decides per binding whether
     * its role may see the table (authorisation, cached by the caller).
     *
     * @return the number of channels it was delivered to
     */
    public int dispatch(TableInfo table, ChangeEvent event, java.util.function.Predicate<PgSubscription> allowed) {
        // channel -> matching bindings, in registration order.
        Map<Channel, List<PgSubscription>> matched = new LinkedHashMap<>();
        collect(byTable.get(key(table.schema(), table.name())), event, allowed, matched);
        collect(byTable.get(key(table.schema(), null)), event, allowed, matched);
        collect(byTable.get(key(null, null)), event, allowed, matched);
        if (matched.isEmpty()) return 0;

        Map<List<String>, ObjectNode> dataBySelect = new HashMap<>();
        Map<MessageKey, Outbound> encoded = new HashMap<>();
        for (Map.Entry<Channel, List<PgSubscription>> e : matched.entrySet()) {
            Channel ch = e.getKey();
            // Bindings with different column selections need different payloads (protocol.md §3.4).
            Map<List<String>, List<Integer>> idsBySelect = new LinkedHashMap<>();
            for (PgSubscription s : e.getValue()) {
                List<Integer> ids = idsBySelect.computeIfAbsent(s.select(), k -> new ArrayList<>());
                if (!ids.contains(s.id())) ids.add(s.id());
            }
            for (Map.Entry<List<String>, List<Integer>> sel : idsBySelect.entrySet()) {
                MessageKey mk = new MessageKey(ch.topic(), sel.getValue(), sel.getKey());
                Outbound out = encoded.computeIfAbsent(mk, k -> {
                    ObjectNode data = dataBySelect.computeIfAbsent(k.select(), s -> ChangePayloads.build(table, event, s));
                    ObjectNode payload = Json.object();
                    payload.set("ids", Json.MAPPER.valueToTree(k.ids()));
                    payload.set("data", data);
                    // Herald's resume position; clients read it from the raw frame (realtime-js ignores the key).
                    payload.put("herald_pos", CdcService.position(event.position()));
                    return Outbound.push(k.topic(), "postgres_changes", payload);
                });
                ch.deliver(out);
            }
        }
        return matched.size();
    }

    private record MessageKey(String topic, List<Integer> ids, List<String> select) {
    }

    private void collect(Map<GroupKey, Group> groups, ChangeEvent event, java.util.function.Predicate<PgSubscription> allowed,
                         Map<Channel, List<PgSubscription>> matched) {
        if (groups == null) return;
        for (Group g : groups.values()) {
            if (g.key.event() != null && g.key.event() != event.type()) continue;
            boolean hit;
            try {
                hit = matches(g, event);
            } catch (RuntimeException ex) {
                for (PgSubscription s : g.subscriptions) failure.accept(s, ex);
                continue;
            }
            if (!hit) continue;
            for (PgSubscription s : g.subscriptions) {
                boolean ok;
                try {
                    ok = allowed.test(s);
                } catch (RuntimeException ex) {
                    failure.accept(s, ex);
                    continue;
                }
                if (ok) matched.computeIfAbsent(s.channel(), c -> new ArrayList<>()).add(s);
            }
        }
    }

    private static boolean matches(Group g, ChangeEvent event) {
        if (g.predicate == null) return true;
        return switch (event.type()) {
            case INSERT -> g.predicate.test(event.newRow());
            // DELETE filters see the old identity (protocol.md §3.3).
            case DELETE -> g.predicate.test(event.oldRow());
            case UPDATE -> g.predicate.test(event.rowAfter())
                    || (g.key.leave() && !event.oldRow().isEmpty() && g.predicate.test(event.oldRow()));
        };
    }

    private static String key(String schema, String table) {
        return Objects.requireNonNullElse(schema, ANY) + "." + Objects.requireNonNullElse(table, ANY);
    }
}
