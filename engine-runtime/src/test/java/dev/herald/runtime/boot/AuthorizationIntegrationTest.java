package dev.herald.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.herald.runtime.auth.Tokens;
import dev.herald.runtime.cdc.PostgresFixture;
import dev.herald.runtime.core.Broadcasts;
import dev.herald.runtime.core.Channel;
import dev.herald.runtime.core.FakeConnection;
import dev.herald.runtime.policy.Principals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Private channels and row-level authorisation end to end: a policy file, PostgreSQL RLS, in-engine row policies,
 * and the counting of what each subscriber received (zero leaks).
 */
class AuthorizationIntegrationTest {
    static PostgresFixture pg;
    static Engine engine;

    @BeforeAll
    static void start() throws Exception {
        pg = new PostgresFixture();
        pg.sql("CREATE TABLE notes (id int PRIMARY KEY, user_id text, body text)",
                "ALTER TABLE notes ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY own_notes ON notes FOR SELECT TO authenticated USING (user_id = auth.jwt() ->> 'sub')",
                "CREATE TABLE docs (id int PRIMARY KEY, owner text, body text)",
                "ALTER TABLE docs REPLICA IDENTITY FULL",
                "GRANT SELECT ON notes, docs TO authenticated",
                "CREATE TABLE profiles (id int PRIMARY KEY, name text, salary int)",
                "REVOKE SELECT ON profiles FROM authenticated",
                "GRANT SELECT (id, name) ON profiles TO authenticated");
        Path policies = pg.dir.resolve("policies.json");
        Files.writeString(policies, """
                {"channels": [
                   {"topic": "team", "read": {"roles": ["authenticated"]}, "broadcast": {"roles": ["authenticated"]},
                    "presence": {"roles": ["authenticated"]}},
                   {"topic": "inbox:{sub}", "read": {"roles": ["authenticated"]}, "broadcast": {"roles": ["authenticated"]}},
                   {"topic": "lobby", "read": {"roles": ["authenticated"]}}
                 ],
                 "rows": [{"table": "public.docs", "column": "owner", "claim": "sub"}]}
                """);
        engine = ChangeCaptureEngines.start(pg, Map.of("HERALD_POLICY_FILE", policies.toString()));
    }

    @AfterAll
    static void stop() {
        if (engine != null) engine.close();
        if (pg != null) pg.close();
    }

    static String user(String sub) {
        return Tokens.sign(Tokens.SECRET, Map.of("role", "authenticated", "sub", sub, "exp", System.currentTimeMillis() / 1000 + 3600));
    }

    static PostgresChangesIntegrationTest.Client connect(String token) {
        FakeConnection conn = new FakeConnection();
        return new PostgresChangesIntegrationTest.Client(engine.open(conn, engine.checkHandshake("2.0.0", token, null)), conn);
    }

    static JsonNode joinReply(PostgresChangesIntegrationTest.Client c, String topic, String config) throws Exception {
        c.session().onText("[\"1\",\"1\",\"realtime:" + topic + "\",\"phx_join\",{\"config\":" + config + "}]");
        List<JsonNode> replies = c.conn().events("phx_reply");
        return replies.get(replies.size() - 1).get(4);
    }

    @Test
    void privateChannelsAreDefaultDenyAndWritesNeedTheirOwnGrant() throws Exception {
        var anon = connect(Tokens.valid());
        assertEquals("Unauthorized: You do not have permissions to read from this Channel topic: team",
                joinReply(anon, "team", "{\"private\":true}").get("response").get("reason").asText());
        assertEquals("Unauthorized: You do not have permissions to read from this Channel topic: nobody-owns-this",
                joinReply(anon, "nobody-owns-this", "{\"private\":true}").get("response").get("reason").asText());

        var u1 = connect(user("u1"));
        assertEquals("ok", joinReply(u1, "inbox:u1", "{\"private\":true}").get("status").asText());
        assertEquals("error", joinReply(u1, "inbox:u2", "{\"private\":true}").get("status").asText(), "claim capture: own inbox only");

        // lobby: read but no write. Broadcasts are dropped without a reply even with ack; presence writes are refused.
        var u2 = connect(user("u2"));
        assertEquals("ok", joinReply(u1, "lobby", "{\"private\":true,\"broadcast\":{\"ack\":true}}").get("status").asText());
        assertEquals("ok", joinReply(u2, "lobby", "{\"private\":true}").get("status").asText());
        u1.conn().clear();
        u2.conn().clear();
        u1.session().onText("[\"1\",\"5\",\"realtime:lobby\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"x\",\"payload\":{}}]");
        u1.session().onText("[\"1\",\"6\",\"realtime:lobby\",\"presence\",{\"type\":\"presence\",\"event\":\"track\",\"payload\":{}}]");
        assertEquals(0, u2.conn().events("broadcast").size());
        assertEquals(0, u2.conn().events("presence_diff").size());
        List<JsonNode> replies = u1.conn().events("phx_reply");
        assertEquals(1, replies.size(), "only the presence push is answered: " + u1.conn().texts());
        assertEquals("[\"1\",\"6\",\"realtime:lobby\",\"phx_reply\",{\"status\":\"error\",\"response\":{}}]", replies.get(0).toString());
    }

    @Test
    void privateAndPublicTopicsWithTheSameNameNeverMixAndRestPrivateNeedsWrite() throws Exception {
        var pub = connect(user("p"));
        var priv = connect(user("q"));
        assertEquals("ok", joinReply(pub, "team", "{}").get("status").asText());
        assertEquals("ok", joinReply(priv, "team", "{\"private\":true,\"presence\":{\"enabled\":true}}").get("status").asText());
        pub.conn().clear();
        priv.conn().clear();
        pub.session().onText("[\"1\",\"2\",\"realtime:team\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"pub\",\"payload\":{}}]");
        priv.session().onText("[\"1\",\"2\",\"realtime:team\",\"broadcast\",{\"type\":\"broadcast\",\"event\":\"priv\",\"payload\":{}}]");
        engine.broadcastJson("team", true, "rest-private", JsonNodeFactory.instance.objectNode(), null,
                Principals.of(engine.verifier().verify(user("r"))));
        assertTrue(!engine.broadcastJson("team", true, "anon-private", JsonNodeFactory.instance.objectNode(), null,
                Principals.of(engine.verifier().verify(Tokens.valid()))), "anon may not write");
        assertEquals(0, pub.conn().events("broadcast").size(), "self is false and nothing private leaks to public");
        List<JsonNode> got = priv.conn().events("broadcast");
        assertEquals(1, got.size(), priv.conn().texts().toString());
        assertEquals("rest-private", got.get(0).get(4).get("event").asText());
    }

    @Test
    void postgresRlsDecidesPerUserWhenNoHeraldPolicyExists() throws Exception {
        var u1 = connect(user("u1"));
        var u2 = connect(user("u2"));
        var anon = connect(Tokens.valid());
        String sub = "{\"postgres_changes\":[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"notes\"}]}";
        for (var c : List.of(u1, u2, anon)) {
            c.session().onText("[\"1\",\"1\",\"realtime:notes\",\"phx_join\",{\"config\":" + sub + "}]");
            PostgresChangesIntegrationTest.await(c, n -> n.get(3).asText().equals("system"), 15_000);
        }
        int rows = 100;
        try (Connection conn = pg.connect(); PreparedStatement ps = conn.prepareStatement("INSERT INTO notes VALUES (?, ?, 'b')")) {
            for (int i = 0; i < rows; i++) {
                ps.setInt(1, i);
                ps.setString(2, i % 2 == 0 ? "u1" : "u2");
                ps.executeUpdate();
            }
        }
        pg.sql("UPDATE notes SET body = 'c' WHERE id < 10");
        List<JsonNode> a = PostgresChangesIntegrationTest.changes(u1, 55, 20_000);
        List<JsonNode> b = PostgresChangesIntegrationTest.changes(u2, 55, 20_000);
        Thread.sleep(300);
        a = PostgresChangesIntegrationTest.changes(u1, 55, 10);
        b = PostgresChangesIntegrationTest.changes(u2, 55, 10);
        assertEquals(55, a.size());
        assertEquals(55, b.size());
        for (JsonNode m : a) assertEquals("u1", m.get("data").get("record").get("user_id").asText());
        for (JsonNode m : b) assertEquals("u2", m.get("data").get("record").get("user_id").asText());
        assertEquals(0, PostgresChangesIntegrationTest.changes(anon, 1, 10).size(), "anon has no policy: nothing");
    }

    @Test
    void columnPrivilegesRestrictColumnsAndRecord() throws Exception {
        var c = connect(user("u9"));
        c.session().onText("[\"1\",\"1\",\"realtime:profiles\",\"phx_join\",{\"config\":{\"postgres_changes\":[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"profiles\"}]}}]");
        JsonNode system = PostgresChangesIntegrationTest.await(c, n -> n.get(3).asText().equals("system"), 15_000);
        assertEquals("ok", system.get(4).get("status").asText(), system.toString());
        pg.sql("INSERT INTO profiles VALUES (1, 'ann', 100000)");
        JsonNode data = PostgresChangesIntegrationTest.changes(c, 1, 10_000).get(0).get("data");
        assertEquals("[{\"name\":\"id\",\"type\":\"int4\"},{\"name\":\"name\",\"type\":\"text\"}]", data.get("columns").toString());
        assertEquals("{\"id\":1,\"name\":\"ann\"}", data.get("record").toString(), "salary is not readable by the role");
        var filtered = connect(user("u9"));
        filtered.session().onText("[\"1\",\"1\",\"realtime:profiles2\",\"phx_join\",{\"config\":{\"postgres_changes\":[{\"event\":\"INSERT\",\"schema\":\"public\",\"table\":\"profiles\",\"filter\":\"salary=gt.5\"}]}}]");
        JsonNode refused = PostgresChangesIntegrationTest.await(filtered, n -> n.get(3).asText().equals("system"), 15_000).get(4);
        assertTrue(refused.get("message").asText().endsWith("invalid column for filter salary"), refused.toString());
    }

    @Test
    void inEngineRowPolicyLeaksNothingOver2000MixedChanges() throws Exception {
        List<PostgresChangesIntegrationTest.Client> u1 = List.of(connect(user("u1")), connect(user("u1")));
        List<PostgresChangesIntegrationTest.Client> u2 = List.of(connect(user("u2")), connect(user("u2")));
        List<PostgresChangesIntegrationTest.Client> all = new ArrayList<>(u1);
        all.addAll(u2);
        for (var c : all) {
            c.session().onText("[\"1\",\"1\",\"realtime:docs\",\"phx_join\",{\"config\":{\"postgres_changes\":[{\"event\":\"*\",\"schema\":\"public\",\"table\":\"docs\"}]}}]");
            JsonNode system = PostgresChangesIntegrationTest.await(c, n -> n.get(3).asText().equals("system"), 15_000);
            assertEquals("ok", system.get(4).get("status").asText(), system.toString());
        }
        Random random = new Random(42);
        Map<Integer, String> owners = new HashMap<>();
        Map<String, Integer> expected = new HashMap<>(Map.of("u1", 0, "u2", 0));
        try (Connection conn = pg.connect()) {
            PreparedStatement ins = conn.prepareStatement("INSERT INTO docs VALUES (?, ?, 'x')");
            PreparedStatement upd = conn.prepareStatement("UPDATE docs SET body = body || 'y' WHERE id = ?");
            PreparedStatement del = conn.prepareStatement("DELETE FROM docs WHERE id = ?");
            int next = 0;
            for (int i = 0; i < 2000; i++) {
                int op = owners.isEmpty() ? 0 : random.nextInt(3);
                if (op == 0) {
                    String owner = random.nextBoolean() ? "u1" : "u2";
                    ins.setInt(1, next);
                    ins.setString(2, owner);
                    ins.executeUpdate();
                    owners.put(next++, owner);
                    expected.merge(owner, 1, Integer::sum);
                } else {
                    Integer id = new ArrayList<>(owners.keySet()).get(random.nextInt(owners.size()));
                    PreparedStatement ps = op == 1 ? upd : del;
                    ps.setInt(1, id);
                    ps.executeUpdate();
                    expected.merge(owners.get(id), 1, Integer::sum);
                    if (op == 2) owners.remove(id);
                }
            }
        }
        for (var entry : Map.of("u1", u1, "u2", u2).entrySet()) {
            for (var c : entry.getValue()) {
                List<JsonNode> got = PostgresChangesIntegrationTest.changes(c, expected.get(entry.getKey()), 60_000);
                Thread.sleep(200);
                got = PostgresChangesIntegrationTest.changes(c, expected.get(entry.getKey()), 10);
                assertEquals(expected.get(entry.getKey()), got.size(), entry.getKey() + " receives exactly its own changes");
                for (JsonNode m : got) {
                    JsonNode data = m.get("data");
                    JsonNode row = data.has("record") ? data.get("record") : data.get("old_record");
                    assertEquals(entry.getKey(), row.get("owner").asText(), "leaked: " + m);
                }
            }
        }
    }
}
