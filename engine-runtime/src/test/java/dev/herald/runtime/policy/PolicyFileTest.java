package dev.herald.runtime.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.policy.ChannelAction;
import dev.herald.api.policy.ColumnEqualsClaim;
import dev.herald.api.policy.Principal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyFileTest {
    private static final String EXAMPLE = """
            {
              "comment": "example rules",
              "channels": [
                {"topic": "room:*",
                 "read": {"roles": ["authenticated"]},
                 "broadcast": {"roles": ["authenticated"]},
                 "presence": {"claims": {"app_metadata.presence": true}}},
                {"topic": "user:{sub}", "read": {"roles": ["authenticated"]}, "broadcast": {"roles": ["authenticated"]}},
                {"topic": "team:{team}:**",
                 "read": [{"claims": {"app_metadata.team": "{team}"}}, {"roles": ["admin"]}],
                 "presence_read": {"claims": {"app_metadata.teams": {"contains": "{team}"}}},
                 "presence_write": {"roles": ["authenticated"], "claims": {"app_metadata.plan": "pro", "app_metadata.level": 3}}}
              ],
              "rows": [
                {"table": "public.todos", "column": "user_id", "claim": "sub"},
                {"table": "notes", "column": "team_id", "claim": "app_metadata.team", "comment": "schema defaults to public"}
              ]
            }
            """;

    private static Principal principal(String role, String sub, Map<String, Object> appMetadata) {
        return new Principal(role, sub, Map.of("role", role, "sub", sub, "app_metadata", appMetadata));
    }

    private static final Principal ALICE = principal("authenticated", "alice",
            Map.of("team", "red", "teams", List.of("red", "blue"), "plan", "pro", "level", 3L, "presence", true));
    private static final Principal BOB = principal("authenticated", "bob", Map.of("team", "blue", "plan", "free"));
    private static final Principal ANON = new Principal("anon", null, Map.of("role", "anon"));
    private static final Principal ADMIN = principal("admin", "root", Map.of());
    private static final Principal SERVICE = new Principal("service_role", null, Map.of("role", "service_role"));

    private static ChannelAuthorizer authorizer(String json) {
        return new ChannelAuthorizer(PolicyFile.parse(json, "policies.json").channelPolicies());
    }

    private static String error(String json) {
        return assertThrows(PolicyFileException.class, () -> PolicyFile.parse(json, "policies.json")).getMessage();
    }

    @Test
    void parsesTheExample() {
        PolicyFile file = PolicyFile.parse(EXAMPLE, "policies.json");
        assertEquals(4, file.channelPolicies().size(), "three rules and the service_role bypass");
        assertEquals(List.of("service_role"), file.bypassRoles());
        assertEquals(new ColumnEqualsClaim("public", "todos", "user_id", "sub"), file.rowPolicies().get(0));
        assertEquals(new ColumnEqualsClaim("public", "notes", "team_id", "app_metadata.team"), file.rowPolicies().get(1));
        assertEquals(4, file.rowPolicies().size(), "two rules and one bypass per table");
    }

    @Test
    void rolesGrant() {
        ChannelAuthorizer auth = authorizer(EXAMPLE);
        assertTrue(auth.allowed(ChannelAction.READ, "room:1", ALICE));
        assertTrue(auth.allowed(ChannelAction.BROADCAST_WRITE, "room:1", BOB));
        assertFalse(auth.allowed(ChannelAction.READ, "room:1", ANON));
        assertFalse(auth.allowed(ChannelAction.READ, "lobby", ALICE), "no rule: default deny");
    }

    @Test
    void claimEqualitiesGrant() {
        ChannelAuthorizer auth = authorizer(EXAMPLE);
        assertTrue(auth.allowed(ChannelAction.PRESENCE_READ, "room:1", ALICE));
        assertTrue(auth.allowed(ChannelAction.PRESENCE_WRITE, "room:1", ALICE), "presence grants read and write");
        assertFalse(auth.allowed(ChannelAction.PRESENCE_READ, "room:1", BOB));
        assertFalse(auth.canJoin("room:1", ANON, true));
    }

    @Test
    void claimSubstitutionInTheTopic() {
        ChannelAuthorizer auth = authorizer(EXAMPLE);
        assertTrue(auth.allowed(ChannelAction.READ, "user:alice", ALICE));
        assertFalse(auth.allowed(ChannelAction.READ, "user:alice", BOB));
        assertFalse(auth.allowed(ChannelAction.READ, "user:", ANON));
    }

    @Test
    void captureReferencesAndContains() {
        ChannelAuthorizer auth = authorizer(EXAMPLE);
        assertTrue(auth.allowed(ChannelAction.READ, "team:red:chat", ALICE));
        assertFalse(auth.allowed(ChannelAction.READ, "team:blue:chat", ALICE));
        assertTrue(auth.allowed(ChannelAction.READ, "team:blue:chat", BOB));
        assertTrue(auth.allowed(ChannelAction.READ, "team:green:x", ADMIN), "second grant of the list");
        assertTrue(auth.allowed(ChannelAction.PRESENCE_READ, "team:blue:x", ALICE), "teams contains blue");
        assertFalse(auth.allowed(ChannelAction.PRESENCE_READ, "team:green:x", ALICE));
        assertFalse(auth.allowed(ChannelAction.PRESENCE_READ, "team:blue:x", BOB), "no teams claim");
        assertTrue(auth.allowed(ChannelAction.PRESENCE_WRITE, "team:red:x", ALICE), "roles AND both claims");
        assertFalse(auth.allowed(ChannelAction.PRESENCE_WRITE, "team:red:x", BOB));
        assertFalse(auth.allowed(ChannelAction.BROADCAST_WRITE, "team:red:x", ALICE), "no broadcast grant");
    }

    @Test
    void serviceRoleBypassesByDefaultUnlessDisabled() {
        assertTrue(authorizer(EXAMPLE).allowed(ChannelAction.BROADCAST_WRITE, "anything:at:all", SERVICE));
        assertTrue(new ChannelAuthorizer(PolicyFile.defaults().channelPolicies()).canJoin("x", SERVICE, false));
        assertFalse(new ChannelAuthorizer(PolicyFile.defaults().channelPolicies()).canJoin("x", ALICE, true));
        assertTrue(PolicyFile.defaults().rowPolicies().isEmpty());

        PolicyFile none = PolicyFile.parse("{\"bypass_roles\": [], \"rows\": [{\"table\":\"todos\",\"column\":\"user_id\",\"claim\":\"sub\"}]}", "p");
        assertFalse(new ChannelAuthorizer(none.channelPolicies()).canJoin("x", SERVICE, true));
        assertEquals(1, none.rowPolicies().size());
    }

    @Test
    void bypassRolesSeeEveryRow() {
        RowAuthorizer rows = new RowAuthorizer(PolicyFile.parse(EXAMPLE, "p").rowPolicies());
        Map<String, Object> row = Map.of("id", 1L, "user_id", "someone");
        assertTrue(rows.allows("public", "todos", rows.projection("public", "todos", SERVICE), row));
        assertFalse(rows.allows("public", "todos", rows.projection("public", "todos", BOB), row));
        assertTrue(rows.allows("public", "todos", rows.projection("public", "todos", ALICE), Map.of("user_id", "alice")));
    }

    @Test
    void loadsAFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("policies.json");
        Files.writeString(file, EXAMPLE);
        assertEquals(4, PolicyFile.load(file).channelPolicies().size());
        String msg = assertThrows(PolicyFileException.class, () -> PolicyFile.load(dir.resolve("missing.json"))).getMessage();
        assertTrue(msg.contains("missing.json: cannot read the policy file"), msg);
    }

    @Test
    void invalidJsonNamesTheLocation() {
        String msg = error("{\"channels\": [\n  {\"topic\": }\n]}");
        assertTrue(msg.startsWith("policies.json: not valid JSON at line 2, column "), msg);
        assertTrue(error("{\"rows\": [], \"rows\": []}").contains("Duplicate field 'rows'"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "[]|(root): must be a JSON object",
            "{\"channel\": []}|channel: unknown key (expected one of bypass_roles, channels, comment, rows)",
            "{\"channels\": {}}|channels: must be an array of channel rules",
            "{\"channels\": [\"room:*\"]}|channels[0]: must be an object with a topic and at least one grant",
            "{\"channels\": [{\"read\": {\"roles\": [\"a\"]}}]}|channels[0].topic: is required",
            "{\"channels\": [{\"topic\": 5, \"read\": {\"roles\": [\"a\"]}}]}|channels[0].topic: must be a non-empty string",
            "{\"channels\": [{\"topic\": \"room:**:x\", \"read\": {\"roles\": [\"a\"]}}]}|channels[0].topic: topic pattern 'room:**:x', segment 2 ('**'): ** is only allowed as the last segment",
            "{\"channels\": [{\"topic\": \"realtime:room\", \"read\": {\"roles\": [\"a\"]}}]}|channels[0].topic: 'realtime:room' starts with realtime:",
            "{\"channels\": [{\"topic\": \"room\", \"write\": {\"roles\": [\"a\"]}}]}|channels[0].write: unknown key (expected one of broadcast, comment, presence, presence_read, presence_write, read, topic)",
            "{\"channels\": [{\"topic\": \"room\"}]}|channels[0]: grants nothing: give at least one of read, broadcast, presence, presence_read, presence_write",
            "{\"channels\": [{\"topic\": \"room\", \"read\": {}}]}|channels[0].read: must have roles and/or claims (an empty grant would allow everyone)",
            "{\"channels\": [{\"topic\": \"room\", \"read\": []}]}|channels[0].read: must not be an empty array",
            "{\"channels\": [{\"topic\": \"room\", \"read\": true}]}|channels[0].read: must be an object with roles and/or claims, or an array of them",
            "{\"channels\": [{\"topic\": \"room\", \"read\": {\"role\": \"a\"}}]}|channels[0].read.role: unknown key (expected one of claims, comment, roles)",
            "{\"channels\": [{\"topic\": \"room\", \"read\": {\"roles\": \"authenticated\"}}]}|channels[0].read.roles: must be an array of strings",
            "{\"channels\": [{\"topic\": \"room\", \"read\": {\"roles\": []}}]}|channels[0].read.roles: must not be empty",
            "{\"channels\": [{\"topic\": \"room\", \"read\": [{\"roles\": [\"a\"]}, {\"roles\": [\"\"]}]}]}|channels[0].read[1].roles[0]: must be a non-empty string",
            "{\"channels\": [{\"topic\": \"room\", \"read\": {\"claims\": {}}}]}|channels[0].read.claims: must be a non-empty object of claim path → value",
            "{\"channels\": [{\"topic\": \"room\", \"read\": {\"claims\": {\"app metadata\": 1}}}]}|channels[0].read.claims.app metadata: 'app metadata' is not a claim path",
            "{\"channels\": [{\"topic\": \"room\", \"read\": {\"claims\": {\"sub\": null}}}]}|channels[0].read.claims.sub: must be a string, number, boolean, \"{capture}\" or {\"contains\": value}",
            "{\"channels\": [{\"topic\": \"room\", \"read\": {\"claims\": {\"sub\": [\"a\"]}}}]}|channels[0].read.claims.sub: must be a string, number, boolean",
            "{\"channels\": [{\"topic\": \"room\", \"read\": {\"claims\": {\"x\": {\"in\": [1]}}}}]}|channels[0].read.claims.x.in: unknown key (expected one of contains)",
            "{\"channels\": [{\"topic\": \"room\", \"read\": {\"claims\": {\"x\": {\"contains\": {}}}}}]}|channels[0].read.claims.x.contains: must be a string, number, boolean",
            "{\"channels\": [{\"topic\": \"room:*\", \"presence\": {\"claims\": {\"sub\": \"{sub}\"}}}]}|channels[0].presence.claims.sub: references capture {sub} but topic 'room:*' defines no capture",
            "{\"channels\": [{\"topic\": \"room:{id}\", \"read\": {\"claims\": {\"x\": {\"contains\": \"{room}\"}}}}]}|channels[0].read.claims.x.contains: references capture {room} but topic 'room:{id}' defines only {id}",
            "{\"channels\": [{\"topic\": \"room\", \"presence\": {\"roles\": [\"a\"]}, \"presence_read\": {\"roles\": [\"a\"]}}]}|channels[0].presence: give either presence or presence_read/presence_write, not both",
            "{\"channels\": [{\"topic\": \"room\", \"comment\": 1, \"read\": {\"roles\": [\"a\"]}}]}|channels[0].comment: must be a string",
            "{\"bypass_roles\": \"service_role\"}|bypass_roles: must be an array of strings",
            "{\"rows\": {}}|rows: must be an array of row rules",
            "{\"rows\": [{\"column\": \"user_id\", \"claim\": \"sub\"}]}|rows[0].table: is required",
            "{\"rows\": [{\"table\": \"todos\", \"claim\": \"sub\"}]}|rows[0].column: is required",
            "{\"rows\": [{\"table\": \"todos\", \"column\": \"user_id\"}]}|rows[0].claim: is required",
            "{\"rows\": [{\"table\": \"todos\", \"column\": 3, \"claim\": \"sub\"}]}|rows[0].column: must be a non-empty string",
            "{\"rows\": [{\"table\": \"a.b.c\", \"column\": \"user_id\", \"claim\": \"sub\"}]}|rows[0].table: 'a.b.c' is not schema.table (or table, meaning public.table)",
            "{\"rows\": [{\"table\": \".todos\", \"column\": \"user_id\", \"claim\": \"sub\"}]}|rows[0].table: '.todos' is not schema.table",
            "{\"rows\": [{\"table\": \"todos\", \"column\": \"user_id\", \"claim\": \"sub.\"}]}|rows[0].claim: 'sub.' is not a claim path",
            "{\"rows\": [{\"table\": \"todos\", \"column\": \"user_id\", \"claim\": \"sub\", \"op\": \"=\"}]}|rows[0].op: unknown key (expected one of claim, column, comment, table)",
    })
    void refusesWithAMessageNamingEntryAndField(String json, String expected) {
        String msg = error(json);
        assertTrue(msg.startsWith("policies.json: " + expected), () -> "expected '" + expected + "' in:\n" + msg);
    }
}
