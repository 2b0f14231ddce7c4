package dev.herald.plugins.notes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.RowChange;
import dev.herald.api.plugin.TableHook;
import dev.herald.api.policy.Principal;
import jakarta.persistence.EntityManagerFactory;
import jakarta.ws.rs.WebApplicationException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The example plugin without an engine: a recording context, no database (a refusal must come before one is needed). */
class NotesPluginTest {
    private static final Principal USER_A = new Principal("authenticated", "user-a", Map.of("sub", "user-a"));
    private static final Principal ANON = new Principal("anon", null, Map.of("role", "anon"));

    private final List<List<Object>> broadcasts = Collections.synchronizedList(new ArrayList<>());
    private final Supplier<EntityManagerFactory> noDatabase = () -> {
        throw new IllegalStateException("no database in this test");
    };
    private NotesPlugin plugin;

    @BeforeEach
    void start() {
        plugin = new NotesPlugin();
        plugin.init(new Config(Map.of("max-body-length", "10", "greeting", "hi")));
        plugin.entityManagerFactory(noDatabase);
        plugin.start(new RecordingContext());
    }

    @Test
    void whoamiAnswersTheVerifiedCallerAsBefore() {
        assertEquals(Map.of("role", "authenticated", "sub", "user-a"), api(USER_A).whoami());
        assertEquals(Map.of("role", "anon", "sub", ""), api(ANON).whoami());
    }

    @Test
    void notesNeedASignedInCallerAndInputIsCheckedBeforeTheDatabase() {
        assertRefused(403, "Forbidden", "notes belong to a signed-in user (the token has no sub)", () -> api(ANON).create(new NotesApi.NewNote("t", "b")));
        assertRefused(403, "Forbidden", "notes belong to a signed-in user (the token has no sub)", () -> api(ANON).mine(null));
        assertRefused(400, "InvalidInput", "topic and body are required", () -> api(USER_A).create(new NotesApi.NewNote("t", " ")));
        assertRefused(400, "InvalidInput", "topic must be at most 200 characters without ':'", () -> api(USER_A).create(new NotesApi.NewNote("a:b", "b")));
        assertRefused(400, "InvalidInput", "body is longer than 10 characters", () -> api(USER_A).create(new NotesApi.NewNote("t", "x".repeat(11))));
        assertThrows(IllegalStateException.class, () -> api(USER_A).create(new NotesApi.NewNote("t", "hello")), "valid input reaches the database");
        assertEquals(0L, plugin.state().figures().get("notes_created"), "a note that was not stored is not counted");
    }

    @Test
    void theHookCountsPerTopicBroadcastsAndFeedsTheCountsEndpointAndTheState() {
        TableHook hook = plugin.hooks().get(0);
        hook.onChange(change(RowChange.Type.INSERT, "42"));
        hook.onChange(change(RowChange.Type.INSERT, "42"));
        hook.onChange(change(RowChange.Type.UPDATE, "42"));
        hook.onChange(change(RowChange.Type.INSERT, "7"));
        assertEquals(List.of(List.of("notes:42", false, "note_count", Map.of("topic", "42", "count", 1L)),
                List.of("notes:42", false, "note_count", Map.of("topic", "42", "count", 2L)),
                List.of("notes:7", false, "note_count", Map.of("topic", "7", "count", 1L))), broadcasts);
        assertEquals(Map.of("topic", "42", "count", 2L), api(ANON).count("42"));
        assertEquals(Map.of("topic", "none", "count", 0L), api(ANON).count("none"));

        PluginState state = plugin.state();
        assertEquals(PluginState.Health.OK, state.health());
        assertEquals(List.of("notes_created", "note_count_broadcasts"), List.copyOf(state.figures().keySet()));
        assertEquals(3L, state.figures().get("note_count_broadcasts"));
    }

    private NotesApi api(Principal caller) {
        return (NotesApi) plugin.restResource(caller);
    }

    private static RowChange change(RowChange.Type type, String topic) {
        return new RowChange("public", "notes", type, Map.of("id", 1L, "owner", "user-a", "topic", topic, "body", "b"), Map.of(), Instant.now());
    }

    private static void assertRefused(int status, String code, String message, Runnable r) {
        WebApplicationException e = assertThrows(WebApplicationException.class, r::run);
        assertEquals(status, e.getResponse().getStatus());
        @SuppressWarnings("unchecked") Map<String, Object> entity = (Map<String, Object>) e.getResponse().getEntity();
        assertEquals(code, entity.get("error"));
        assertTrue(String.valueOf(entity.get("message")).contains(message), () -> "message was " + entity);
    }

    /** Settings from a map, as Herald would read them. */
    private record Config(Map<String, String> values) implements PluginConfig {
        @Override
        public String pluginId() {
            return "notes";
        }

        @Override
        public String string(String key) {
            return values.get(key);
        }

        @Override
        public long integer(String key) {
            return Long.parseLong(values.get(key));
        }

        @Override
        public double decimal(String key) {
            return Double.parseDouble(values.get(key));
        }

        @Override
        public boolean bool(String key) {
            return Boolean.parseBoolean(values.get(key));
        }

        @Override
        public String describe(String key) {
            return "herald.plugins.notes." + key;
        }
    }

    /** Records broadcasts; no database, nobody present. */
    private final class RecordingContext implements PluginContext {
        @Override
        public PluginConfig config() {
            return new Config(Map.of());
        }

        @Override
        public DataSource dataSource() {
            throw new IllegalStateException("no database in this test");
        }

        @Override
        public void broadcast(String topic, boolean privateChannel, String event, Object payload) {
            broadcasts.add(List.of(topic, privateChannel, event, payload));
        }

        @Override
        public Map<String, List<Map<String, Object>>> presence(String topic, boolean privateChannel) {
            return Map.of();
        }

        @Override
        public Principal verify(String jwt) {
            throw new SecurityException("no tokens in this test");
        }

        @Override
        public boolean pluginEnabled(String id) {
            return false;
        }

        @Override
        public <T> T service(Class<T> type) {
            return null;
        }

        @Override
        public <T> void publish(Class<T> type, T service) {
        }
    }
}
