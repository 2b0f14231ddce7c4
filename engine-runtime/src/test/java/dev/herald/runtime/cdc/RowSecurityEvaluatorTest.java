package dev.herald.runtime.cdc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.runtime.db.Database;
import dev.herald.runtime.db.EmbeddedDatabase;
import dev.herald.runtime.protocol.Json;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PostgreSQL's own policies evaluated on row images (never on the stored row), against a real PostgreSQL. */
class RowSecurityEvaluatorTest {
    static PostgresFixture pg;
    static Database database;
    static RowSecurityEvaluator rls;
    static TableCatalog catalog;
    static final List<String> errors = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        pg = new PostgresFixture();
        pg.sql("CREATE TABLE owned (id int PRIMARY KEY, owner text, secret text, tags text[], meta jsonb, amount numeric, at timestamptz, ok bool)",
                "ALTER TABLE owned ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY own ON owned FOR SELECT TO authenticated USING (owner = auth.jwt() ->> 'sub')",
                "CREATE POLICY shared ON owned FOR SELECT TO authenticated USING ('public' = ANY (tags))",
                "CREATE POLICY not_hidden ON owned AS RESTRICTIVE FOR SELECT TO authenticated USING (coalesce((meta ->> 'hidden')::bool, false) = false)",
                "CREATE TABLE uids (id uuid PRIMARY KEY, v text)",
                "ALTER TABLE uids ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY by_uid ON uids FOR SELECT TO authenticated USING (id = auth.uid())",
                "CREATE ROLE \"odd$herald\" NOLOGIN",
                "GRANT authenticated TO \"odd$herald\"",
                "CREATE ROLE bypasser NOLOGIN BYPASSRLS",
                "GRANT SELECT ON owned, uids TO authenticated, bypasser");
        database = new Database(pg.url(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
        catalog = new TableCatalog(database.dataSource());
        rls = new RowSecurityEvaluator(database.dataSource(), errors::add);
    }

    @AfterAll
    static void stop() {
        if (database != null) database.close();
        if (pg != null) pg.close();
    }

    static Map<String, Object> owned(int id, String owner, List<String> tags, String meta) throws Exception {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", (long) id);
        row.put("owner", owner);
        row.put("secret", "s" + id);
        row.put("tags", tags);
        row.put("meta", meta == null ? null : Json.read(meta));
        row.put("amount", new BigDecimal("12.50"));
        row.put("at", OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 6000, ZoneOffset.UTC));
        row.put("ok", true);
        return row;
    }

    static RowSecurityEvaluator.Group group(String role, String sub) {
        Map<String, Object> claims = new HashMap<>();
        claims.put("role", role);
        if (sub != null) claims.put("sub", sub);
        return new RowSecurityEvaluator.Group(role, claims);
    }

    @Test
    void judgesEachImageForEachGroupInOneCall() throws Exception {
        TableInfo table = catalog.table("public", "owned").orElseThrow();
        List<Map<String, Object>> images = List.of(owned(1, "u1", List.of("a"), "{}"), owned(1, "u2", List.of("x", "public"), "{\"k\": 1}"),
                owned(2, "u1", List.of(), "{\"hidden\": true}"));
        List<RowSecurityEvaluator.Group> groups = List.of(group("authenticated", "u1"), group("authenticated", "u2"),
                group("anon", "u1"), group("bypasser", null), group("odd$herald", "u1"));
        int before = errors.size();
        boolean[][] v = rls.visible(table, images, groups);
        assertArrayEquals(new boolean[] {true, false, false, true, true}, v[0], "u1's row");
        assertArrayEquals(new boolean[] {true, true, false, true, true}, v[1], "u2's row tagged public");
        assertArrayEquals(new boolean[] {false, false, false, true, false}, v[2], "restrictive policy hides it");
        assertEquals(before, errors.size(), errors.toString());
    }

    @Test
    void valuesEndingInTheOldQuoteTagOrHoldingNulBreakNothing() throws Exception {
        TableInfo table = catalog.table("public", "owned").orElseThrow();
        String odd = "x$herald";
        List<Map<String, Object>> images = List.of(owned(3, odd, List.of("$herald$", "a\"b\\c"), "{\"q\": \"$herald$'\"}"));
        List<RowSecurityEvaluator.Group> groups = List.of(group("authenticated", odd), group("authenticated", "nul\u0000sub"),
                group("authenticated", "'); DROP TABLE owned; --"), group("no\u0000role", "x"));
        int before = errors.size();
        boolean[][] v = rls.visible(table, images, groups);
        assertArrayEquals(new boolean[] {true, false, false, false}, v[0]);
        assertEquals(before + 2, errors.size(), "the two NUL groups are counted as failed checks");
        assertTrue(catalog.table("public", "owned").isPresent());
    }

    @Test
    void aPolicyThatErrorsDeniesOnlyItsGroup() throws Exception {
        TableInfo table = catalog.table("public", "uids").orElseThrow();
        String id = "6f1b1e1e-1111-4222-8333-444455556666";
        List<Map<String, Object>> images = List.of(Map.of("id", id, "v", "x"));
        int before = errors.size();
        boolean[][] v = rls.visible(table, images, List.of(group("authenticated", "not-a-uuid"), group("authenticated", id),
                group("authenticated", "6f1b1e1e-0000-4222-8333-444455556666")));
        assertArrayEquals(new boolean[] {false, true, false}, v[0]);
        assertEquals(before + 1, errors.size(), "the invalid uuid cast is one failed check");
    }

    @Test
    void policyChangesAreSeenAfterInvalidation() throws Exception {
        pg.sql("CREATE TABLE later (id int PRIMARY KEY, owner text)", "ALTER TABLE later ENABLE ROW LEVEL SECURITY",
                "GRANT SELECT ON later TO authenticated");
        TableInfo table = catalog.table("public", "later").orElseThrow();
        List<Map<String, Object>> images = List.of(Map.of("id", 1L, "owner", "u1"));
        assertFalse(rls.visible(table, images, List.of(group("authenticated", "u1")))[0][0], "no permissive policy: deny");
        pg.sql("CREATE POLICY p ON later FOR SELECT TO authenticated USING (owner = current_setting('request.jwt.claim.sub', true))");
        rls.invalidateAll();
        assertTrue(rls.visible(table, images, List.of(group("authenticated", "u1")))[0][0]);
    }

    @Test
    void everyDecodedValueKindIsRebuiltWithItsType() throws Exception {
        pg.sql("CREATE TYPE mood AS ENUM ('happy', 'sad')",
                "CREATE TABLE kinds (id bigint PRIMARY KEY, f4 real, f8 double precision, n numeric(10,3), b bytea, d date, t time, tz timetz, "
                        + "ts timestamp, tstz timestamptz, j json, jb jsonb, arr int[], tarr text[], u uuid, m mood, iv interval, vc varchar(5))",
                "ALTER TABLE kinds ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY exact ON kinds FOR SELECT TO authenticated USING (f4 = 1.5 AND f8 = 'NaN' AND n = 12.345 AND b = '\\x00ff'::bytea "
                        + "AND d = '2026-02-03' AND t = '04:05:06.789' AND tz = '04:05:06+02' AND ts = '2026-02-03 04:05:06' "
                        + "AND tstz = '2026-02-03 04:05:06+00' AND j ->> 'a' = 'x' AND jb = '{\"a\": [1, \"y\"]}' AND arr = '{1,NULL,3}' "
                        + "AND tarr = ARRAY['a,b', 'q\"uote', 'back\\slash'] AND u = '6f1b1e1e-1111-4222-8333-444455556666' AND m = 'sad' "
                        + "AND iv = interval '1 day 2 hours' AND vc = 'abc')",
                "GRANT SELECT ON kinds TO authenticated");
        TableInfo table = catalog.table("public", "kinds").orElseThrow();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", 1L);
        row.put("f4", 1.5);
        row.put("f8", Double.NaN);
        row.put("n", new BigDecimal("12.345"));
        row.put("b", new byte[] {0, (byte) 0xff});
        row.put("d", LocalDate.of(2026, 2, 3));
        row.put("t", LocalTime.of(4, 5, 6, 789_000_000));
        row.put("tz", OffsetTime.of(4, 5, 6, 0, ZoneOffset.ofHours(2)));
        row.put("ts", LocalDateTime.of(2026, 2, 3, 4, 5, 6));
        row.put("tstz", OffsetDateTime.of(2026, 2, 3, 4, 5, 6, 0, ZoneOffset.UTC));
        row.put("j", Json.read("{\"a\": \"x\"}"));
        row.put("jb", Json.read("{\"a\": [1, \"y\"]}"));
        row.put("arr", Arrays.asList(1L, null, 3L));
        row.put("tarr", List.of("a,b", "q\"uote", "back\\slash"));
        row.put("u", "6f1b1e1e-1111-4222-8333-444455556666");
        row.put("m", "sad");
        row.put("iv", "P1DT2H");
        row.put("vc", "abc");
        int before = errors.size();
        assertTrue(rls.visible(table, List.of(row), List.of(group("authenticated", "u")))[0][0], "every column compared equal: " + errors);
        assertEquals(before, errors.size());
        row.put("m", "happy");
        assertFalse(rls.visible(table, List.of(row), List.of(group("authenticated", "u")))[0][0]);
    }

    @Test
    void policiesWithQuestionMarkOperatorsAndAnImageColumnNameClashStillDecide() throws Exception {
        pg.sql("CREATE TABLE teams (id int PRIMARY KEY, team text, \"herald image#\" text, doc jsonb)",
                "ALTER TABLE teams ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY member ON teams FOR SELECT TO authenticated USING ((auth.jwt() -> 'teams') ? team AND team <> 'a?b' "
                        + "AND doc @? '$.k ? (@ > 1)' AND (doc ?| ARRAY['k']) AND (doc ?& ARRAY['k']))",
                "GRANT SELECT ON teams TO authenticated");
        TableInfo table = catalog.table("public", "teams").orElseThrow();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", 1L);
        row.put("team", "red");
        row.put("herald image#", "clash");
        row.put("doc", Json.read("{\"k\": 2}"));
        Map<String, Object> inTeam = new HashMap<>(Map.of("role", "authenticated", "sub", "u1", "teams", List.of("red")));
        Map<String, Object> outOfTeam = new HashMap<>(Map.of("role", "authenticated", "sub", "u2", "teams", List.of("blue")));
        int before = errors.size();
        boolean[][] v = rls.visible(table, List.of(row), List.of(new RowSecurityEvaluator.Group("authenticated", inTeam),
                new RowSecurityEvaluator.Group("authenticated", outOfTeam)));
        assertArrayEquals(new boolean[] {true, false}, v[0]);
        assertEquals(before, errors.size(), errors.toString());
    }

    @Test
    void placeholdersAreEscapedOutsideLiteralsAndIdentifiersOnly() {
        assertEquals("(a ?? b) AND c = 'x?y' AND \"q?\" = E'\\'?' AND d ??| e",
                RowSecurityEvaluator.escapePlaceholders("(a ? b) AND c = 'x?y' AND \"q?\" = E'\\'?' AND d ?| e"));
        assertEquals("'it''s ?' ?? x", RowSecurityEvaluator.escapePlaceholders("'it''s ?' ? x"));
        assertEquals("no marks", RowSecurityEvaluator.escapePlaceholders("no marks"));
    }

    @Test
    void aPolicyWaitingOnALockIsABoundedDenyAndThenNotAskedForAWhile() throws Exception {
        pg.sql("CREATE TABLE members (team text, member text)", "GRANT SELECT ON members TO authenticated",
                "CREATE TABLE docs (id int PRIMARY KEY, team text)", "ALTER TABLE docs ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY by_team ON docs FOR SELECT TO authenticated USING "
                        + "(EXISTS (SELECT 1 FROM members m WHERE m.team = docs.team AND m.member = auth.jwt() ->> 'sub'))",
                "GRANT SELECT ON docs TO authenticated", "INSERT INTO members VALUES ('red', 'u1')");
        TableInfo table = catalog.table("public", "docs").orElseThrow();
        List<Map<String, Object>> images = List.of(Map.of("id", 1L, "team", "red"));
        assertTrue(rls.visible(table, images, List.of(group("authenticated", "u1")))[0][0], "visible while nothing is locked");
        try (Connection locker = pg.connect()) {
            locker.setAutoCommit(false);
            try (Statement st = locker.createStatement()) {
                st.execute("LOCK TABLE members IN ACCESS EXCLUSIVE MODE");
            }
            int before = errors.size();
            long t0 = System.nanoTime();
            boolean[][] v = rls.visible(table, images, List.of(group("authenticated", "u1"), group("authenticated", "u2")));
            long firstMs = (System.nanoTime() - t0) / 1_000_000;
            assertArrayEquals(new boolean[] {false, false}, v[0], "a check that cannot finish is a deny");
            assertTrue(firstMs < RowSecurityEvaluator.STATEMENT_TIMEOUT_MS + 1500, "bounded by the timeouts, not the lock: " + firstMs + " ms");
            t0 = System.nanoTime();
            assertFalse(rls.visible(table, images, List.of(group("authenticated", "u1")))[0][0]);
            long secondMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(secondMs < RowSecurityEvaluator.LOCK_TIMEOUT_MS, "the next change is not made to wait again: " + secondMs + " ms");
            assertEquals(before + 3, errors.size(), "every withheld group is counted");
            locker.rollback();
        }
    }
}
