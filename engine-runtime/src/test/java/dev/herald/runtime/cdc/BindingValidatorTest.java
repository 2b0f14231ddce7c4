package dev.herald.runtime.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.herald.runtime.auth.Claims;
import dev.herald.runtime.db.Database;
import dev.herald.runtime.db.EmbeddedDatabase;
import dev.herald.runtime.policy.RowAuthorizer;
import dev.herald.runtime.protocol.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every refusal the binding validator can give, each with the exact text the client receives, and what it accepts. */
class BindingValidatorTest {
    private static final String PREFIX = "Unable to subscribe to changes with given parameters. ";
    private static final String SELECT_LIST = "Error parsing `select` params: expected a list of column name strings, e.g. select: [\"col1\", \"col2\"]";

    static PostgresFixture pg;
    static Database database;
    static BindingValidator validator;
    static TableCatalog catalog;
    private final RecordingSubscriber subscriber = new RecordingSubscriber("realtime:room");

    @BeforeAll
    static void start() throws Exception {
        pg = new PostgresFixture();
        pg.sql("CREATE ROLE bv_reader NOLOGIN",
                "CREATE TABLE public.items (id int PRIMARY KEY, room int, title text, secret text, done bool)",
                "GRANT SELECT (id, room, title, done) ON public.items TO bv_reader",
                "CREATE TABLE public.full_items (id int PRIMARY KEY, room int)",
                "ALTER TABLE public.full_items REPLICA IDENTITY FULL",
                "GRANT SELECT ON public.full_items TO bv_reader",
                "CREATE TABLE public.hidden (id int PRIMARY KEY, v text)",
                "CREATE TABLE public.key_hidden (id int PRIMARY KEY, v text)",
                "GRANT SELECT (v) ON public.key_hidden TO bv_reader",
                "CREATE TABLE public.unpublished (id int PRIMARY KEY)",
                "GRANT SELECT ON public.unpublished TO bv_reader",
                "CREATE SCHEMA lonely",
                "CREATE TABLE lonely.t (id int PRIMARY KEY)",
                "CREATE PUBLICATION bv_pub FOR TABLE public.items, public.full_items, public.hidden, public.key_hidden");
        database = new Database(pg.url(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
        catalog = new TableCatalog(database.dataSource());
        validator = new BindingValidator(new PublicationManager(database.dataSource(), "bv_pub", List.of()), catalog, new RowAuthorizer(List.of()));
    }

    @AfterAll
    static void stop() {
        if (database != null) database.close();
        if (pg != null) pg.close();
    }

    private static Claims claims(String role) {
        return new Claims("token", Map.of("role", role, "sub", "user-1"), role, "user-1", 0);
    }

    private List<PgSubscription> validate(String role, String entriesJson) throws Exception {
        return validator.validate(subscriber, claims(role), (ArrayNode) Json.read(entriesJson));
    }

    private String refusal(String role, String entriesJson) {
        return assertThrows(BindingValidator.InvalidBinding.class, () -> validate(role, entriesJson)).getMessage();
    }

    private static String exception(String params, String detail) {
        return PREFIX + "An exception happened so please check your connect parameters: " + params + ". Exception: " + detail;
    }

    private static String notEnabled(String params) {
        return PREFIX + "Please check Realtime is enabled for the given connect parameters: " + params;
    }

    @Test
    void aValidBindingKeepsItsIdAndIsNarrowedToTheColumnsTheRoleMayRead() throws Exception {
        List<PgSubscription> subs = validate("bv_reader",
                "[{\"id\":11,\"event\":\"insert\",\"schema\":\"public\",\"table\":\"items\",\"filter\":\"room=eq.3\"}]");
        assertEquals(1, subs.size());
        PgSubscription s = subs.get(0);
        assertSame(subscriber, s.subscriber());
        assertEquals(11, s.id());
        assertEquals(ChangeEvent.Type.INSERT, s.event());
        assertEquals("room=eq.3", s.filter());
        assertNotNull(s.predicate());
        assertEquals(List.of("id", "room", "title", "done"), s.select(), "secret is not granted");
        assertEquals("bv_reader", s.role());
    }

    @Test
    void aWildcardOverASchemaWithPublishedTablesIsAccepted() throws Exception {
        PgSubscription s = validate("bv_reader", "[{\"id\":1,\"event\":\"*\",\"schema\":\"public\",\"table\":\"*\"}]").get(0);
        assertEquals("public", s.schema());
        assertNull(s.table());
        assertNull(s.event());
    }

    @Test
    void schemaTableAndFilterMustBeStrings() {
        String entry = "{\"id\":1,\"schema\":\"public\",\"table\":5}";
        assertEquals(PREFIX + "schema, table and filter must be strings: " + entry, refusal("bv_reader", "[" + entry + "]"));
    }

    @Test
    void selectMustBeAListOfStrings() {
        assertEquals(SELECT_LIST, refusal("bv_reader", "[{\"id\":1,\"table\":\"items\",\"select\":\"id\"}]"));
        assertEquals(SELECT_LIST, refusal("bv_reader", "[{\"id\":1,\"table\":\"items\",\"select\":[\"id\", 2]}]"));
    }

    @Test
    void selectNeedsAnExplicitSchemaAndTable() {
        assertEquals("Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.",
                refusal("bv_reader", "[{\"id\":1,\"table\":\"*\",\"select\":[\"id\"]}]"));
    }

    @Test
    void aFilterThatDoesNotParseGivesTheParsersText() {
        assertEquals("filter must not contain empty segments (check for extra commas)",
                refusal("bv_reader", "[{\"id\":1,\"table\":\"items\",\"filter\":\"room=eq.1,\"}]"));
    }

    @Test
    void aFilterNeedsAnExplicitSchemaAndTable() {
        assertEquals(PREFIX + "A filter needs an explicit schema and table: [event: *, schema: public, table: *, filters: [room=eq.1], select: nil]",
                refusal("bv_reader", "[{\"id\":1,\"table\":\"*\",\"filter\":\"room=eq.1\"}]"));
    }

    @Test
    void aTableOrSchemaWithoutPublishedTablesIsNotEnabled() {
        assertEquals(notEnabled("[event: INSERT, schema: public, table: unpublished, filters: [], select: nil]"),
                refusal("bv_reader", "[{\"id\":1,\"event\":\"INSERT\",\"table\":\"unpublished\"}]"));
        assertEquals(notEnabled("[event: *, schema: lonely, table: *, filters: [], select: nil]"),
                refusal("bv_reader", "[{\"id\":1,\"schema\":\"lonely\",\"table\":\"*\"}]"));
    }

    @Test
    void theTokensRoleMustExist() {
        assertEquals(exception("[event: *, schema: public, table: items, filters: [], select: nil]",
                "role \"ghost\" of the token does not exist in the database"), refusal("ghost", "[{\"id\":1,\"table\":\"items\"}]"));
        assertEquals(exception("[event: *, schema: *, table: *, filters: [], select: nil]",
                "role \"ghost\" of the token does not exist in the database"), refusal("ghost", "[{\"id\":1,\"schema\":\"*\",\"table\":\"*\"}]"));
    }

    @Test
    void theRoleMustBeAllowedToSelectTheTable() {
        assertEquals(exception("[event: *, schema: public, table: hidden, filters: [], select: nil]", "permission denied for table hidden (role bv_reader)"),
                refusal("bv_reader", "[{\"id\":1,\"table\":\"hidden\"}]"));
    }

    @Test
    void selectedColumnsMustExist() {
        assertEquals(exception("[event: *, schema: public, table: items, filters: [], select: [\"id\",\"nope\"]]", "invalid column for select nope"),
                refusal("bv_reader", "[{\"id\":1,\"table\":\"items\",\"select\":[\"id\",\"nope\"]}]"));
    }

    @Test
    void aFilterThatDoesNotCompileForTheColumnsGivesTheCompilersText() {
        assertEquals(exception("[event: *, schema: public, table: items, filters: [nope=eq.1], select: nil]", "invalid column for filter nope"),
                refusal("bv_reader", "[{\"id\":1,\"table\":\"items\",\"filter\":\"nope=eq.1\"}]"));
        assertEquals(exception("[event: *, schema: public, table: items, filters: [title=is.true], select: nil]",
                "is true filter requires a boolean column, got text"), refusal("bv_reader", "[{\"id\":1,\"table\":\"items\",\"filter\":\"title=is.true\"}]"));
    }

    @Test
    void leaveNeedsFullReplicaIdentity() {
        assertEquals(exception("[event: *, schema: public, table: items, filters: [], select: nil]", "\"leave\": true needs REPLICA IDENTITY FULL on public.items"),
                refusal("bv_reader", "[{\"id\":1,\"table\":\"items\",\"leave\":true}]"));
    }

    @Test
    void theRoleMustBeAbleToReadThePrimaryKey() {
        assertEquals(exception("[event: *, schema: public, table: key_hidden, filters: [], select: nil]",
                "permission denied for column id of the primary key (role bv_reader)"), refusal("bv_reader", "[{\"id\":1,\"table\":\"key_hidden\"}]"));
    }

    @Test
    void aFilteredColumnMustBeReadableByTheRole() {
        assertEquals(exception("[event: *, schema: public, table: items, filters: [secret=eq.x], select: nil]", "invalid column for filter secret"),
                refusal("bv_reader", "[{\"id\":1,\"table\":\"items\",\"filter\":\"secret=eq.x\"}]"));
    }

    @Test
    void oneInvalidEntryRefusesThemAll() {
        assertEquals(exception("[event: *, schema: public, table: hidden, filters: [], select: nil]", "permission denied for table hidden (role bv_reader)"),
                refusal("bv_reader", "[{\"id\":1,\"table\":\"full_items\"},{\"id\":2,\"table\":\"hidden\"}]"));
    }

    @Test
    void leaveIsAcceptedWithFullReplicaIdentity() throws Exception {
        PgSubscription s = validate("bv_reader", "[{\"id\":3,\"table\":\"full_items\",\"leave\":true}]").get(0);
        assertEquals(true, s.leave());
        assertNull(s.select(), "every column is readable: no narrowing");
    }
}
