package dev.herald.runtime.boot;

import dev.herald.runtime.core.FakeConnection;
import dev.herald.runtime.core.RealtimeSession;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.cdc.PostgresFixture;
import dev.herald.runtime.protocol.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** postgres_changes end to end inside the JVM: a real PostgreSQL, Debezium, the index, sessions on fake sockets. */
class PostgresChangesIntegrationTest {
    static PostgresFixture pg;
    static Engine engine;

    @BeforeAll
    static void start() throws Exception {
        pg = new PostgresFixture();
        pg.sql("CREATE TABLE todos (id bigint PRIMARY KEY, title text, done bool, room int)",
                "ALTER TABLE todos REPLICA IDENTITY FULL",
                "CREATE TABLE plain (id int PRIMARY KEY, v text)",
                "CREATE TABLE nopk (v text)",
                "CREATE TABLE secret (id int PRIMARY KEY, v text)",
                "ALTER TABLE secret ENABLE ROW LEVEL SECURITY",
                "CREATE SCHEMA other",
                "CREATE TABLE other.hidden (id int PRIMARY KEY)",
                "GRANT SELECT ON ALL TABLES IN SCHEMA public TO anon");
        engine = ChangeCaptureEngines.start(pg, Map.of("HERALD_CDC_TABLES", "public.*", "HERALD_CDC_OFFSET_FLUSH_MS", "200"));
    }

    @AfterAll
    static void stop() {
        if (engine != null) engine.close();
        if (pg != null) pg.close();
    }

    record Client(RealtimeSession session, FakeConnection conn) {
    }

    static Client connect() {
        FakeConnection conn = new FakeConnection();
        return new Client(engine.open(conn, engine.checkHandshake("2.0.0", Tokens.valid(), null)), conn);
    }

    static JsonNode join(Client c, String topic, String changes) throws Exception {
        c.session().onText("[\"1\",\"1\",\"realtime:" + topic + "\",\"phx_join\",{\"config\":{\"postgres_changes\":" + changes + "}}]");
        return await(c, n -> n.get(3).asText().equals("system"), 15_000).get(4);
    }

    static JsonNode await(Client c, Predicate<JsonNode> p, long timeoutMs) throws Exception {
        long end = System.currentTimeMillis() + timeoutMs;
        int seen = 0;
        while (System.currentTimeMillis() < end) {
            List<String> texts = c.conn().texts();
            for (; seen < texts.size(); seen++) {
                JsonNode n = Json.read(texts.get(seen));
                if (p.test(n)) {
                    c.conn().clear();
                    return n;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("timed out; frames: " + c.conn().texts());
    }

    static List<JsonNode> changes(Client c, int count, long timeoutMs) throws Exception {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end && c.conn().events("postgres_changes").size() < count) Thread.sleep(5);
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode n : c.conn().events("postgres_changes")) out.add(n.get(4));
        return out;
    }

    @Test
    void insertUpdateDeleteWithOneMessagePerChannelCarryingAllMatchingIds() throws Exception {
        Client c = connect();
        JsonNode system = join(c, "t1", "[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"todos\"},{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"todos\",\"filter\":\"room=eq.7\"}]");
        assertEquals("{\"extension\":\"postgres_changes\",\"status\":\"ok\",\"message\":\"Subscribed to PostgreSQL\",\"channel\":\"t1\"}", system.toString());
        pg.sql("INSERT INTO todos VALUES (1, 'hi', false, 7)", "UPDATE todos SET done = true WHERE id = 1", "DELETE FROM todos WHERE id = 1");
        List<JsonNode> got = changes(c, 3, 10_000);
        assertEquals(3, got.size(), got.toString());
        JsonNode insert = got.get(0);
        assertEquals(2, insert.get("ids").size(), "both bindings matched the insert, one message");
        JsonNode data = insert.get("data");
        assertEquals("INSERT", data.get("type").asText());
        assertEquals("[{\"name\":\"id\",\"type\":\"int8\"},{\"name\":\"title\",\"type\":\"text\"},{\"name\":\"done\",\"type\":\"bool\"},{\"name\":\"room\",\"type\":\"int4\"}]",
                data.get("columns").toString());
        assertEquals("{\"id\":1,\"title\":\"hi\",\"done\":false,\"room\":7}", data.get("record").toString());
        assertTrue(data.get("errors").isNull());
        assertFalse(data.has("old_record"));
        assertTrue(data.get("commit_timestamp").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
        JsonNode update = got.get(1).get("data");
        assertEquals(1, got.get(1).get("ids").size());
        assertEquals("{\"id\":1,\"title\":\"hi\",\"done\":true,\"room\":7}", update.get("record").toString());
        assertEquals("{\"id\":1,\"title\":\"hi\",\"done\":false,\"room\":7}", update.get("old_record").toString(), "REPLICA IDENTITY FULL");
        JsonNode delete = got.get(2).get("data");
        assertFalse(delete.has("record"));
        assertEquals("{\"id\":1,\"title\":\"hi\",\"done\":true,\"room\":7}", delete.get("old_record").toString());
    }

    @Test
    void defaultReplicaIdentityGivesKeyOnlyOldRecordsAndNoPrimaryKeyGivesAnErrorRow() throws Exception {
        Client c = connect();
        join(c, "t2", "[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"plain\"},{\"event\":\"*\",\"schema\":\"public\",\"table\":\"nopk\"}]");
        pg.sql("INSERT INTO plain VALUES (5, 'a')", "UPDATE plain SET v = 'b' WHERE id = 5", "DELETE FROM plain WHERE id = 5", "INSERT INTO nopk VALUES ('x')");
        List<JsonNode> got = changes(c, 4, 10_000);
        assertEquals("{\"id\":5}", got.get(1).get("data").get("old_record").toString());
        assertEquals("{\"id\":5}", got.get(2).get("data").get("old_record").toString());
        JsonNode nopk = got.get(3).get("data");
        assertEquals("[\"Error 400: Bad Request, no primary key\"]", nopk.get("errors").toString());
        assertEquals("{}", nopk.get("record").toString());
        assertTrue(nopk.get("commit_timestamp").isNull());
    }

    @Test
    void selectListsKeepPrimaryKeysAndOversizeChangesCarryError413() throws Exception {
        Client c = connect();
        join(c, "sel", "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"todos\",\"select\":[\"title\"]}]");
        pg.sql("INSERT INTO todos VALUES (50, 'selected', true, 3)");
        JsonNode data = changes(c, 1, 10_000).get(0).get("data");
        assertEquals("[{\"name\":\"id\",\"type\":\"int8\"},{\"name\":\"title\",\"type\":\"text\"}]", data.get("columns").toString());
        assertEquals("{\"id\":50,\"title\":\"selected\"}", data.get("record").toString());

        Client big = connect();
        join(big, "big", "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"plain\",\"filter\":\"id=eq.4242\"}]");
        pg.sql("INSERT INTO plain VALUES (4242, repeat('x', 1100000))");
        JsonNode oversize = changes(big, 1, 10_000).get(0).get("data");
        assertEquals("[\"Error 413: Payload Too Large\"]", oversize.get("errors").toString());
        assertEquals("{\"id\":4242}", oversize.get("record").toString(), "only values of at most 64 characters are kept");
    }

    @Test
    void badSelectListsAreRefused() throws Exception {
        Client c = connect();
        JsonNode notAList = join(c, "s1", "[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"todos\",\"select\":\"title\"}]");
        assertEquals("Error parsing `select` params: expected a list of column name strings, e.g. select: [\"col1\", \"col2\"]", notAList.get("message").asText());
        JsonNode wildcard = join(c, "s2", "[{\"event\":\"*\",\"schema\":\"public\",\"select\":[\"id\"]}]");
        assertEquals("Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.", wildcard.get("message").asText());
        JsonNode unknown = join(c, "s3", "[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"todos\",\"select\":[\"nope\"]}]");
        assertTrue(unknown.get("message").asText().endsWith("invalid column for select nope"), unknown.toString());
    }

    @Test
    void resumeReplaysMissedChangesThroughTheNewBindingsWithNewIds() throws Exception {
        pg.sql("CREATE TABLE IF NOT EXISTS resumed (id int PRIMARY KEY, room int)", "GRANT SELECT ON resumed TO anon");
        Client c = connect();
        join(c, "res1", "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"resumed\"}]");
        pg.sql("INSERT INTO resumed VALUES (1, 1), (2, 1)");
        List<JsonNode> before = changes(c, 2, 10_000);
        String pos = before.get(1).get("herald_pos").asText();
        assertTrue(pos.startsWith("c:"), pos);
        c.session().onClosed();
        pg.sql("INSERT INTO resumed VALUES (3, 1)", "INSERT INTO resumed VALUES (4, 2)", "INSERT INTO resumed VALUES (5, 1)");
        Thread.sleep(300);
        Client again = connect();
        // A different binding now: only room 1, so the replay is re-filtered and carries the new id.
        again.session().onText("[\"1\",\"1\",\"realtime:res2\",\"phx_join\",{\"config\":{\"broadcast\":{\"herald_resume\":{\"changes\":\"" + pos
                + "\"}},\"postgres_changes\":[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"resumed\",\"filter\":\"room=eq.1\"}]}}]");
        long end = System.currentTimeMillis() + 15_000;
        while (again.conn().events("system").stream().noneMatch(n -> n.get(4).has("recovered")) && System.currentTimeMillis() < end) Thread.sleep(10);
        JsonNode reply = again.conn().events("phx_reply").get(0).get(4);
        int newId = reply.get("response").get("postgres_changes").get(0).get("id").asInt();
        List<JsonNode> replayed = changes(again, 2, 10);
        assertEquals(2, replayed.size(), replayed.toString());
        assertEquals(3, replayed.get(0).get("data").get("record").get("id").asInt());
        assertEquals(5, replayed.get(1).get("data").get("record").get("id").asInt(), "row 4 (room 2) is filtered out");
        for (JsonNode r : replayed) assertEquals("[" + newId + "]", r.get("ids").toString(), "stamped with the new join's id");
        JsonNode recovery = again.conn().events("system").stream().filter(n -> n.get(4).has("recovered")).findFirst().orElseThrow().get(4);
        assertEquals(true, recovery.get("recovered").asBoolean(), recovery.toString());
        assertEquals("changes", recovery.get("stream").asText());
        assertEquals("Recovered 2 messages", recovery.get("message").asText());
        pg.sql("INSERT INTO resumed VALUES (6, 1)");
        List<JsonNode> all = changes(again, 3, 10_000);
        assertEquals(6, all.get(2).get("data").get("record").get("id").asInt(), "then live, no repeat");
        assertEquals(3, all.size());
    }

    @Test
    void typedValuesMatchToJsonb() throws Exception {
        pg.sql("DO $$ BEGIN CREATE TYPE mood AS ENUM ('sad', 'happy'); EXCEPTION WHEN duplicate_object THEN NULL; END $$",
                "CREATE TABLE IF NOT EXISTS typed (id int PRIMARY KEY, a int2, b int4, c int8, d numeric(10,2), e float8, f float8, g bool, h text, "
                        + "i varchar(20), j uuid, k json, l jsonb, m date, n time, o timestamp, p timestamptz, q bytea, r int4[], s text[], t mood)",
                "GRANT SELECT ON typed TO anon");
        Client c = connect();
        join(c, "typed", "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"typed\"}]");
        pg.sql("INSERT INTO typed VALUES (1, 2, 3, 9007199254740993, 1.50, 2.25, 'NaN', true, 'tëxt', 'vc', "
                + "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"b\": 1, \"a\": [1, 2]}', '{\"b\": 1, \"a\": [1, 2]}', '2026-08-21', '12:00:00.5', "
                + "'2026-08-21 12:00:00.123456', '2026-08-21 12:00:00.5+00', '\\x0102ff', '{1,2,3}', '{a,\"b c\"}', 'happy')");
        JsonNode record = changes(c, 1, 10_000).get(0).get("data").get("record");
        JsonNode expected;
        try (Connection conn = pg.connect(); Statement s = conn.createStatement()) {
            s.execute("SET TIME ZONE 'UTC'");
            try (ResultSet rs = s.executeQuery("SELECT to_jsonb(t.*)::text FROM typed t WHERE id = 1")) {
                rs.next();
                expected = Json.read(rs.getString(1));
            }
        }
        ObjectNode exp = (ObjectNode) expected;
        exp.put("q", "0102ff"); // bytea: hex without the \x prefix (docs/wire-protocol.md, Value encoding)
        for (Iterator<String> it = exp.fieldNames(); it.hasNext(); ) {
            String col = it.next();
            assertEquals(exp.get(col), record.get(col), "column " + col);
        }
        assertEquals(exp.size(), record.size());
        assertEquals("1.50", record.get("d").toString(), "numeric keeps its scale");
    }

    @Test
    void aRowCommittedRightAfterSubscribedIsAlwaysDelivered() throws Exception {
        for (int i = 0; i < 100; i++) {
            Client c = connect();
            JsonNode system = join(c, "race" + i, "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"plain\",\"filter\":\"id=eq." + (1000 + i) + "\"}]");
            assertEquals("ok", system.get("status").asText());
            pg.sql("INSERT INTO plain VALUES (" + (1000 + i) + ", 'r')");
            assertEquals(1, changes(c, 1, 10_000).size(), "iteration " + i);
            c.session().onClosed();
        }
    }

    @Test
    void subscriptionErrorsComeAsSystemMessagesAndTheChannelStays() throws Exception {
        Client c = connect();
        JsonNode bad = join(c, "e1", "[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"todos\",\"filter\":\"wrong\"}]");
        assertEquals("error", bad.get("status").asText());
        assertEquals("Error parsing `filter` params: [\"wrong\"]", bad.get("message").asText());
        JsonNode column = join(c, "e2", "[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"todos\",\"filter\":\"notacolumn=eq.1\"}]");
        assertTrue(column.get("message").asText().endsWith("invalid column for filter notacolumn"), column.toString());
        JsonNode unpublished = join(c, "e3", "[{\"event\":\"INSERT\",\"schema\":\"other\",\"table\":\"hidden\"}]");
        assertTrue(unpublished.get("message").asText().startsWith("Unable to subscribe to changes with given parameters. Please check Realtime is enabled"), unpublished.toString());
        assertEquals(3, c.session().channelCount(), "channels stay joined");
    }

    @Test
    void rowLevelSecurityWithoutAGrantingPolicyDeliversNothing() throws Exception {
        Client c = connect();
        join(c, "wild", "[{\"event\":\"INSERT\",\"schema\":\"public\"}]");
        pg.sql("INSERT INTO secret VALUES (1, 'x')", "INSERT INTO plain VALUES (77, 'visible')");
        List<JsonNode> got = changes(c, 1, 10_000);
        Thread.sleep(300);
        got = changes(c, 1, 10);
        assertEquals(1, got.size(), got.toString());
        assertEquals("plain", got.get(0).get("data").get("table").asText());
    }

    @Test
    void waitOptionHoldsTheJoinReplyUntilLive() throws Exception {
        Client c = connect();
        c.session().onText("[\"1\",\"1\",\"realtime:w\",\"phx_join\",{\"config\":{\"postgres_changes\":[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"plain\"}],"
                + "\"postgres_changes_options\":{\"wait\":true,\"timeout\":5000}}}]");
        JsonNode reply = await(c, n -> n.get(3).asText().equals("phx_reply"), 10_000);
        assertEquals("ok", reply.get(4).get("status").asText());
        List<String> rest = c.conn().texts();
        // Reply first, then the system message (the helper cleared frames up to and including the reply).
        assertTrue(rest.isEmpty() || rest.get(0).contains("Subscribed to PostgreSQL"), rest.toString());
        Client d = connect();
        d.session().onText("[\"1\",\"1\",\"realtime:w2\",\"phx_join\",{\"config\":{\"postgres_changes\":[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"nope\"}],"
                + "\"postgres_changes_options\":{\"wait\":true}}}]");
        JsonNode refused = await(d, n -> n.get(3).asText().equals("phx_reply"), 10_000);
        assertTrue(refused.get(4).get("response").get("reason").asText().startsWith("RealtimeDisabledForConfiguration: Unable to subscribe"), refused.toString());
        assertEquals(0, d.session().channelCount());
    }

    @Test
    void restartOfTheSourceLosesNothingAndRepeatsNothing() throws Exception {
        pg.sql("CREATE TABLE IF NOT EXISTS stream (id int PRIMARY KEY)", "GRANT SELECT ON stream TO anon");
        Client c = connect();
        join(c, "stream", "[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"stream\"}]");
        int total = 2000;
        Thread writer = new Thread(() -> {
            try (Connection conn = pg.connect(); PreparedStatement ps = conn.prepareStatement("INSERT INTO stream VALUES (?)")) {
                for (int i = 0; i < total; i++) {
                    ps.setInt(1, i);
                    ps.executeUpdate();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        writer.start();
        long end = System.currentTimeMillis() + 20_000;
        while (c.conn().events("postgres_changes").size() < total / 4 && System.currentTimeMillis() < end) Thread.sleep(5);
        engine.cdc().restartSource();
        writer.join();
        List<JsonNode> got = changes(c, total, 60_000);
        Thread.sleep(500);
        got = changes(c, total, 10);
        assertEquals(total, got.size(), "every row exactly once");
        for (int i = 0; i < total; i++) assertEquals(i, got.get(i).get("data").get("record").get("id").asInt(), "commit order at " + i);
        assertNull(c.conn().closeCode);
    }
}
