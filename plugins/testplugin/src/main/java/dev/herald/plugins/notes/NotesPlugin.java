package dev.herald.plugins.notes;

import dev.herald.api.plugin.ChannelSpec;
import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginFactory;
import dev.herald.api.plugin.RowChange;
import dev.herald.api.plugin.SocketEndpoint;
import dev.herald.api.plugin.TableHook;
import dev.herald.api.plugin.Tables;
import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ChannelPolicy;
import dev.herald.api.policy.ColumnEqualsClaim;
import dev.herald.api.policy.Decision;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The example plugin of the author's guide: private notes per user, grouped by topic.
 * <ul>
 *   <li>table {@code public.notes} (migration {@code db/plugins/notes/V1__notes.sql}), published;</li>
 *   <li>channel {@code notes:{topic}}: changes of {@code public.notes} filtered to that topic by default, presence on,
 *       client broadcasts off;</li>
 *   <li>row policy: a subscriber sees only notes whose {@code owner} is its {@code sub};</li>
 *   <li>channel policy: private {@code notes:*} channels are open to signed-in users;</li>
 *   <li>REST at {@code /plugins/notes}: create and list one's notes, per-topic counts;</li>
 *   <li>WebSocket at {@code /plugins/notes/echo}: echoes text with the caller's identity;</li>
 *   <li>hook: counts notes per topic and broadcasts {@code note_count} on the topic's channel.</li>
 * </ul>
 */
public final class NotesPlugin implements PluginFactory {
    static final String TABLE = "notes";

    private PluginConfig config;
    private PluginContext context;
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

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
    public void postInit(PluginContext context) {
        this.context = context;
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
            }
        });
    }

    @Override
    public Object restResource() {
        return new NotesApi(context, (int) config.integer("max-body-length"), counts);
    }

    @Override
    public List<SocketEndpoint> sockets() {
        return List.of(new SocketEndpoint("echo", () -> new EchoEndpoint(config.string("greeting")), List.of("notes.v1"), 64 * 1024));
    }
}
