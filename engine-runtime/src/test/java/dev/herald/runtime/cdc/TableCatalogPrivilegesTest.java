package dev.herald.runtime.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.runtime.db.Database;
import dev.herald.runtime.db.EmbeddedDatabase;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the delivery path may show a role of a table: column grants, and the schema's USAGE, which PostgreSQL requires too. */
class TableCatalogPrivilegesTest {
    static PostgresFixture pg;
    static Database database;

    @BeforeAll
    static void start() throws Exception {
        pg = new PostgresFixture();
        pg.sql("CREATE ROLE reader NOLOGIN",
                "CREATE SCHEMA priv", "CREATE TABLE priv.t (id int PRIMARY KEY, v text)", "GRANT SELECT ON priv.t TO reader",
                "CREATE TABLE public.c (id int PRIMARY KEY, title text, secret text)", "GRANT SELECT (id, title) ON public.c TO reader");
        database = new Database(pg.url(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (database != null) database.close();
        if (pg != null) pg.close();
    }

    @Test
    void aTableInASchemaTheRoleMayNotUseShowsNothing() throws Exception {
        TableCatalog catalog = new TableCatalog(database.dataSource());
        TableInfo t = catalog.table("priv", "t").orElseThrow();
        assertFalse(catalog.canSelect("reader", "priv", "t"), "SELECT on the table without USAGE on its schema");
        assertEquals(List.of(), catalog.selectableColumns("reader", t));
        pg.sql("GRANT USAGE ON SCHEMA priv TO reader");
        catalog.invalidatePrivileges();
        assertTrue(catalog.canSelect("reader", "priv", "t"));
        assertEquals(List.of("id", "v"), catalog.selectableColumns("reader", t));
    }

    @Test
    void columnGrantsNarrowTheColumns() throws Exception {
        TableCatalog catalog = new TableCatalog(database.dataSource());
        TableInfo c = catalog.table("public", "c").orElseThrow();
        assertTrue(catalog.canSelect("reader", "public", "c"));
        assertEquals(List.of("id", "title"), catalog.selectableColumns("reader", c));
    }
}
