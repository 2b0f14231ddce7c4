package dev.herald.plugins.notes;

import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.DeclaresChannels;
import dev.herald.api.plugin.DeclaresPolicies;
import dev.herald.api.plugin.OwnsTables;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.ReactsToChanges;
import dev.herald.api.plugin.ReportsState;
import dev.herald.api.plugin.RowChange;
import dev.herald.api.plugin.ServesRest;
import dev.herald.api.plugin.ServesSockets;
import dev.herald.api.plugin.SocketEndpoint;
import dev.herald.api.plugin.TableHook;
import dev.herald.api.plugin.Tables;
import dev.herald.api.plugin.UsesJpa;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.ColumnEqualsClaim;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import jakarta.persistence.EntityManagerFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The example plugin of the author's guide: private notes per user, grouped by topic. Each optional interface it
 * implements is one kind of contribution:
 * <ul>
 *   <li>{@link ReactsToChanges} (which includes {@link OwnsTables}): table {@code public.notes}
 *       (migration {@code db/plugins/notes/V1__notes.sql}), published, and a hook that counts notes per topic and
 *       broadcasts {@code note_count} on the topic's channel;</li>
 *   <li>{@link UsesJpa}: the {@link Note} entity over that table;</li>
 *   <li>{@link DeclaresChannels}: channel {@code notes:{topic}}, changes of {@code public.notes} filtered to that topic
 *       by default, presence on, client broadcasts off;</li>
 *   <li>{@link DeclaresPolicies}: a subscriber sees only notes whose {@code owner} is its {@code sub}; private
 *       {@code notes:*} channels are open to signed-in users;</li>
 *   <li>{@link ServesRest}: {@code /plugins/notes}, create and list one's notes, per-topic counts, viewers, whoami
 *       ({@link NotesApi}, one per request with the verified caller);</li>
 *   <li>{@link ServesSockets}: {@code /plugins/notes/echo} echoes text with the caller's identity;</li>
 *   <li>{@link ReportsState}: notes created through REST and {@code note_count} broadcasts since start.</li>
 * </ul>
 */
public final class NotesPlugin implements ReactsToChanges, UsesJpa, DeclaresChannels, DeclaresPolicies, ServesRest, ServesSockets, ReportsState {
    static final String TABLE = "notes";

    // In memory, so zero again after a restart. The hook bumps counts and countBroadcasts and is called at least once
    // per change: a redelivered insert counts twice (fine for an example, not for billing).
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final LongAdder notesCreated = new LongAdder();
    private final LongAdder countBroadcasts = new LongAdder();
    private PluginConfig config;
    private Supplier<EntityManagerFactory> entityManagerFactory;
    // Set once in start(), before Herald lets any request, hook or socket reach the plugin.
    private volatile PluginContext context;
    private volatile NotesApi.Shared shared;

    @Override
    public String id() {
        return "notes";
    }

    @Override
    public String description() {
        return "Example plugin: private notes per user and topic";
    }

    @Override
    public List<ConfigKey> configKeys() {
        return List.of(
                ConfigKey.of("max-body-length", ConfigKey.Type.INTEGER, "2000", "Longest note body accepted, in characters"),
                ConfigKey.of("greeting", ConfigKey.Type.STRING, "hello", "What the echo endpoint says first"));
    }

    @Override
    public void init(PluginConfig config) {
        if (config.integer("max-body-length") < 1) {
            throw new IllegalArgumentException(config.describe("max-body-length") + " must be at least 1");
        }
        this.config = config;
    }

    @Override
    public Tables tables() {
        return Tables.inPublic("db/plugins/notes", TABLE);
    }

    @Override
    public List<Class<?>> entityClasses() {
        return List.of(Note.class);
    }

    @Override
    public void entityManagerFactory(Supplier<EntityManagerFactory> factory) {
        // Keep the supplier, not the factory: get() builds it (about a second), so the first request pays, not the boot.
        this.entityManagerFactory = factory;
    }

    @Override
    public void start(PluginContext context) {
        this.context = context;
        this.shared = new NotesApi.Shared(entityManagerFactory, context, (int) config.integer("max-body-length"), counts, notesCreated);
    }

    @Override
    public List<ChannelSpec> channels() {
        return List.of(new ChannelSpec("notes:{topic}", "Changes of one topic's notes, and who is looking at it",
                List.of("public.notes"), Map.of("public.notes", "topic=eq.{topic}"), true, false));
    }

    @Override
    public List<ChannelPolicy> channelPolicies() {
        return List.of(new ChannelPolicy() {
            @Override
            public String topicPattern() {
                return "notes:*";
            }

            @Override
            public Decision decide(ChannelAction action, String topic, Principal principal) {
                return principal.subject() != null && "authenticated".equals(principal.role()) && action != ChannelAction.BROADCAST_WRITE
                        ? Decision.ALLOW : Decision.ABSTAIN;
            }
        });
    }

    @Override
    public List<RowPolicy> rowPolicies() {
        return List.of(new ColumnEqualsClaim("public", TABLE, "owner", "sub"));
    }

    @Override
    public List<TableHook> hooks() {
        return List.of(new TableHook() {
            @Override
            public String schema() {
                return "public";
            }

            @Override
            public String table() {
                return TABLE;
            }

            @Override
            public void onChange(RowChange change) {
                if (change.type() != RowChange.Type.INSERT) return;
                String topic = String.valueOf(change.record().get("topic"));
                long n = counts.computeIfAbsent(topic, t -> new AtomicLong()).incrementAndGet();
                context.broadcast("notes:" + topic, false, "note_count", Map.of("topic", topic, "count", n));
                countBroadcasts.increment();
            }
        });
    }

    @Override
    public Object restResource(Principal caller) {
        return new NotesApi(shared, caller);
    }

    @Override
    public List<SocketEndpoint> sockets() {
        return List.of(new SocketEndpoint("echo", () -> new EchoEndpoint(config.string("greeting")), List.of("notes.v1"), 64 * 1024));
    }

    @Override
    public PluginState state() {
        // Only counters kept in memory: the console asks often, and state() must not query the database.
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("notes_created", notesCreated.sum());
        figures.put("note_count_broadcasts", countBroadcasts.sum());
        return new PluginState(PluginState.Health.OK, "counts since start", figures);
    }
}
