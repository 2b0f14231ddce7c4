package dev.herald.plugins.events;

import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.DeclaresChannels;
import dev.herald.api.plugin.DeclaresPolicies;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.ReactsToChanges;
import dev.herald.api.plugin.ReportsState;
import dev.herald.api.plugin.RowChange;
import dev.herald.api.plugin.ServesRest;
import dev.herald.api.plugin.TableHook;
import dev.herald.api.plugin.Tables;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import dev.herald.api.policy.SignedInRows;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Events with participants, capacity limits and a live participant count (docs/plugins/events.md).
 * <ul>
 *   <li>tables {@code public.events} (with the counter column {@code participant_count}) and
 *       {@code public.event_participants}, both published;</li>
 *   <li>the count is maintained in the join/leave transaction under the event's row lock, so it is exact and can
 *       never exceed the capacity;</li>
 *   <li>a table hook on {@code events} pushes every committed count change as the broadcast {@code participant_count}
 *       on {@code event:<id>} (public and private channel of that name); clients may instead subscribe to the
 *       {@code events} row over postgres_changes on the same channel;</li>
 *   <li>channel {@code event:{id}}: postgres_changes of that event's row and participants (default filters), presence
 *       allowed (who is looking), client broadcasts refused (only the plugin publishes counts);</li>
 *   <li>REST at {@code /plugins/events};</li>
 *   <li>console state: REST requests, events created, joins (and those refused because the event was full), leaves
 *       and count broadcasts since start ({@link EventActivity}).</li>
 * </ul>
 */
public final class EventsPlugin implements ReactsToChanges, DeclaresChannels, DeclaresPolicies, ServesRest, ReportsState {
    static final String EVENTS = "events";
    static final String PARTICIPANTS = "event_participants";
    static final String COUNT_EVENT = "participant_count";

    private final EventActivity activity = new EventActivity();
    // Written once in start(), read by REST and hook threads Herald starts only afterwards.
    private volatile PluginContext context;

    @Override
    public String id() {
        return "events";
    }

    @Override
    public String description() {
        return "Events with participants, capacity limits and a live participant count";
    }

    @Override
    public Tables tables() {
        return Tables.inPublic("db/plugins/events", EVENTS, PARTICIPANTS);
    }

    @Override
    public void start(PluginContext context) {
        this.context = context;
    }

    @Override
    public List<ChannelSpec> channels() {
        return List.of(new ChannelSpec("event:{id}", "One event: its row, its participants, its live participant_count broadcast, who is looking",
                List.of("public." + EVENTS, "public." + PARTICIPANTS),
                Map.of("public." + EVENTS, "id=eq.{id}", "public." + PARTICIPANTS, "event_id=eq.{id}"), true, false));
    }

    @Override
    public List<RowPolicy> rowPolicies() {
        // Events and participants are visible to every signed-in user; anonymous keys see none.
        return List.of(new SignedInRows("public", EVENTS), new SignedInRows("public", PARTICIPANTS));
    }

    @Override
    public List<ChannelPolicy> channelPolicies() {
        return List.of(new EventChannelPolicy());
    }

    @Override
    public List<TableHook> hooks() {
        return List.of(new CountHook(this::publishCount));
    }

    @Override
    public Object restResource(Principal caller) {
        activity.request();
        return new EventsApi(context.dataSource(), activity, caller);
    }

    @Override
    public PluginState state() {
        return activity.state();
    }

    /** Publishes one count (called by the hook). */
    void publishCount(long eventId, Object count, Object capacity) {
        Map<String, Object> payload = countPayload(eventId, count, capacity);
        String topic = "event:" + eventId;
        context.broadcast(topic, false, COUNT_EVENT, payload);
        context.broadcast(topic, true, COUNT_EVENT, payload);
        activity.countPublished();
    }

    static Map<String, Object> countPayload(long eventId, Object count, Object capacity) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("event_id", eventId);
        payload.put("participant_count", count);
        payload.put("capacity", capacity);
        return payload;
    }

    /**
     * Pushes the committed {@code participant_count} of an event whenever it moved. It reads the value from the
     * committed row rather than counting itself, so a redelivered change (hooks are at least once) re-sends the same,
     * still-correct number, and changes arrive in commit order, so the last number a client sees is the current one.
     */
    static final class CountHook implements TableHook {
        /** Where a moved count goes: (event id, participant_count, capacity). */
        interface Sink {
            void publish(long eventId, Object count, Object capacity);
        }

        private final Sink sink;

        CountHook(Sink sink) {
            this.sink = sink;
        }

        @Override
        public String schema() {
            return "public";
        }

        @Override
        public String table() {
            return EVENTS;
        }

        @Override
        public void onChange(RowChange change) {
            if (change.type() != RowChange.Type.UPDATE) return;
            Object now = change.record().get("participant_count");
            if (!Capacity.countMoved(change.oldRecord().get("participant_count"), now)) return;
            Object id = change.record().get("id");
            if (!(id instanceof Number n)) return;
            sink.publish(n.longValue(), now, change.record().get("capacity"));
        }
    }

    /**
     * Private {@code event:<id>} channels: signed-in users may join, read and track presence; clients may not broadcast
     * (the count comes from the plugin, and a spoofed count would mislead everyone).
     */
    static final class EventChannelPolicy implements ChannelPolicy {
        @Override
        public String topicPattern() {
            return "event:*";
        }

        @Override
        public Decision decide(ChannelAction action, String topic, Principal principal) {
            // ABSTAIN rather than DENY for writes: a DENY would also stop the service role (and the plugin's own
            // server broadcasts, which act as the service role); the default deny keeps clients out.
            if (action == ChannelAction.BROADCAST_WRITE) return Decision.ABSTAIN;
            return principal.subject() != null && !"anon".equals(principal.role()) ? Decision.ALLOW : Decision.ABSTAIN;
        }
    }
}
