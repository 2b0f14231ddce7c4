package dev.herald.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.plugin.ConfigKey;
import dev.herald.api.plugin.DeclaresPolicies;
import dev.herald.api.plugin.Plugin;
import dev.herald.api.plugin.PluginConfig;
import dev.herald.api.plugin.PluginContext;
import dev.herald.api.plugin.PluginState;
import dev.herald.api.plugin.ReactsToChanges;
import dev.herald.api.plugin.ReportsState;
import dev.herald.api.plugin.RowChange;
import dev.herald.api.plugin.ServesRest;
import dev.herald.api.plugin.TableHook;
import dev.herald.api.plugin.Tables;
import dev.herald.api.policy.ColumnEqualsClaim;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The harness drives a plugin through Herald's own boot steps: settings, migrations, context, REST, hooks, state. */
class PluginHarnessTest {

    /** A plugin using every ability the harness serves. */
    static class KitPlugin implements ServesRest, ReactsToChanges, DeclaresPolicies, ReportsState {
        final AtomicLong seen = new AtomicLong();
        PluginContext context;
        long maxTitle;
        boolean guarded = true;

        @Override
        public String id() {
            return "kit";
        }

        @Override
        public List<ConfigKey> configKeys() {
            return List.of(ConfigKey.of("max-title", ConfigKey.Type.INTEGER, "10", "Longest title."));
        }

        @Override
        public void init(PluginConfig config) {
            maxTitle = config.integer("max-title");
        }

        @Override
        public Tables tables() {
            return Tables.inPublic("db/plugins/kit", "kit_items");
        }

        @Override
        public void start(PluginContext context) {
            this.context = context;
        }

        @Override
        public List<RowPolicy> rowPolicies() {
            return guarded ? List.of(new ColumnEqualsClaim("public", "kit_items", "owner", "sub")) : List.of();
        }

        @Override
        public Object restResource(Principal caller) {
            return new Api(this, caller);
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
                    return "kit_items";
                }

                @Override
                public void onChange(RowChange change) {
                    seen.incrementAndGet();
                    context.broadcast("kit", false, "item_seen", Map.of("title", change.record().get("title")));
                }
            });
        }

        @Override
        public PluginState state() {
            return PluginState.ok("ready").with("changes_seen", seen.get());
        }
    }

    /** The per-request resource: who is calling comes with it. */
    record Api(KitPlugin plugin, Principal caller) {
        long add(String title) throws SQLException {
            if (title.length() > plugin.maxTitle) throw new IllegalArgumentException("title too long");
            try (Connection c = plugin.context.dataSource().getConnection();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO kit_items (owner, title) VALUES (?, ?) RETURNING id")) {
                ps.setString(1, caller.subject());
                ps.setString(2, title);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }
    }

    @Test
    void aPluginStartsWithItsSettingsItsTablesAndTheCallerOfEachRequest() throws Exception {
        try (PluginHarness h = PluginHarness.of(new KitPlugin()).setting("max-title", "5").start()) {
            Api api = h.rest(PluginHarness.user("alice"), Api.class);
            assertEquals("alice", api.caller().subject());
            long id = api.add("hello");
            assertThrows(IllegalArgumentException.class, () -> api.add("longer than five"));
            try (Connection c = h.dataSource().getConnection();
                 ResultSet rs = c.createStatement().executeQuery("SELECT owner, title FROM kit_items WHERE id = " + id)) {
                assertTrue(rs.next());
                assertEquals("alice", rs.getString(1));
            }
        }
    }

    @Test
    void aBadSettingRefusesTheStartWithTheBootsMessage() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new KitPlugin()).setting("max-title", "many").start());
        assertEquals("Invalid value for HERALD_PLUGINS_KIT_MAX_TITLE: 'many' is not a whole number (Longest title.)",
                e.getMessage());
        IllegalStateException unknown = assertThrows(IllegalStateException.class,
                () -> PluginHarness.of(new KitPlugin()).setting("colour", "red").start());
        assertTrue(unknown.getMessage().startsWith("Unknown configuration key HERALD_PLUGINS_KIT_COLOUR"), unknown.getMessage());
    }

    @Test
    void aPublishedTableNobodyGuardsRefusesTheStartAsTheBootDoes() {
        KitPlugin open = new KitPlugin();
        open.guarded = false;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PluginHarness.of(open).start());
        assertTrue(e.getMessage().startsWith("Plugin tables [public.kit_items] are published but guarded neither by a row policy"), e.getMessage());
    }

    @Test
    void hooksRunOnChangesAndTheirBroadcastsAndTheStateAreRecorded() {
        try (PluginHarness h = PluginHarness.of(new KitPlugin()).start()) {
            assertEquals(PluginState.Health.OK, h.state().health());
            h.change(new RowChange("public", "kit_items", RowChange.Type.INSERT, Map.of("id", 1L, "title", "x"), Map.of(), Instant.now()));
            List<RecordedBroadcast> sent = h.broadcasts();
            assertEquals(1, sent.size());
            assertEquals("kit", sent.get(0).topic());
            assertEquals("item_seen", sent.get(0).event());
            assertEquals(Map.of("title", "x"), sent.get(0).payload());
            assertEquals("{\"title\":\"x\"}", sent.get(0).json());
            assertEquals(1L, h.state().figures().get("changes_seen"));
            h.clearBroadcasts();
            assertEquals(List.of(), h.broadcasts());
        }
    }

    @Test
    void tokensTheHarnessSignsVerifyAndOthersDoNot() {
        try (PluginHarness h = PluginHarness.of(new KitPlugin()).start()) {
            Principal who = h.context().verify(h.token(PluginHarness.user("bob")));
            assertEquals("bob", who.subject());
            assertEquals("authenticated", who.role());
            assertThrows(SecurityException.class, () -> h.context().verify("not-a-token"));
        }
    }

    @Test
    void aPluginWithoutTablesGetsNoDatabaseUnlessAsked() {
        Plugin bare = () -> "bare";
        try (PluginHarness h = PluginHarness.of(bare).start()) {
            assertThrows(IllegalStateException.class, h::dataSource);
            assertNull(h.state());
        }
        try (PluginHarness h = PluginHarness.of(bare).withDatabase().start()) {
            assertTrue(h.dataSource() != null);
        }
    }

    @Test
    void stopPluginsKeepsTheDatabaseForWhatAPluginWritesWhenItCloses() throws Exception {
        KitPlugin kit = new KitPlugin() {
            @Override
            public void close() {
                try {
                    new Api(this, PluginHarness.user("closer")).add("bye");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        try (PluginHarness h = PluginHarness.of(kit).start()) {
            assertEquals(PluginState.Health.OK, h.state("kit").health());
            assertThrows(IllegalArgumentException.class, () -> h.state("other"));
            h.stopPlugins();
            try (Connection c = h.dataSource().getConnection(); ResultSet rs = c.createStatement().executeQuery("SELECT owner FROM kit_items")) {
                assertTrue(rs.next());
                assertEquals("closer", rs.getString(1));
            }
        }
    }

    @Test
    void eachHarnessHasADatabaseOfItsOwn() throws Exception {
        try (PluginHarness a = PluginHarness.of(new KitPlugin()).start(); PluginHarness b = PluginHarness.of(new KitPlugin()).start()) {
            a.rest(PluginHarness.user("a"), Api.class).add("one");
            try (Connection c = b.dataSource().getConnection(); ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM kit_items")) {
                rs.next();
                assertEquals(0, rs.getLong(1));
            }
        }
    }
}
