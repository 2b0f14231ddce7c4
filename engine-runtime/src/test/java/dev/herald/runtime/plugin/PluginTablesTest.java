package dev.herald.runtime.plugin;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.policy.SignedInRows;
import dev.herald.runtime.cdc.PostgresFixture;
import dev.herald.runtime.cdc.PublicationManager;
import dev.herald.runtime.config.ConfigException;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.db.EmbeddedDatabase;
import dev.herald.runtime.policy.RowAuthorizer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The boot rules for plugin tables, against a real PostgreSQL: guarded when published, never matched by patterns. */
class PluginTablesTest {
    static PostgresFixture pg;
    static Database database;

    @BeforeAll
    static void start() throws Exception {
        pg = new PostgresFixture();
        pg.sql("CREATE TABLE guarded_by_rls (id int PRIMARY KEY)", "ALTER TABLE guarded_by_rls ENABLE ROW LEVEL SECURITY",
                "CREATE TABLE guarded_by_policy (id int PRIMARY KEY)", "CREATE TABLE open_plugin_table (id int PRIMARY KEY)",
                "CREATE TABLE internal_events (id int PRIMARY KEY)", "CREATE TABLE app_table (id int PRIMARY KEY)",
                "CREATE PUBLICATION plugin_tables_test FOR TABLE internal_events");
        database = new Database(pg.url(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (database != null) database.close();
        if (pg != null) pg.close();
    }

    @Test
    void aPublishedPluginTableWithoutRowPolicyOrRowSecurityRefusesTheBoot() {
        RowAuthorizer rows = RowAuthorizer.of(new SignedInRows("public", "guarded_by_policy"));
        assertDoesNotThrow(() -> PluginTables.requireGuarded(List.of("public.guarded_by_rls", "public.guarded_by_policy"), rows, database.dataSource()));
        ConfigException e = assertThrows(ConfigException.class,
                () -> PluginTables.requireGuarded(List.of("public.guarded_by_rls", "public.open_plugin_table"), rows, database.dataSource()));
        assertTrue(e.getMessage().contains("public.open_plugin_table"), e.getMessage());
        assertFalse(e.getMessage().contains("guarded_by_rls"), e.getMessage());
    }

    @Test
    void internalPluginTablesAreNeverMatchedByPatternsAndLeaveThePublication() throws Exception {
        PublicationManager publications = new PublicationManager(database.dataSource(), "plugin_tables_test", List.of("public.*", "public.internal_events"));
        publications.exclude(Set.of("public.internal_events"));
        publications.reconcile();
        Set<String> published = publications.publishedTables();
        assertTrue(published.contains("public.app_table"), published.toString());
        assertFalse(published.contains("public.internal_events"), "an internal table published by an earlier version is removed: " + published);
    }
}
