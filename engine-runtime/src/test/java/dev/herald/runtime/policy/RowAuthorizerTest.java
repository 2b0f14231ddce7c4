package dev.herald.runtime.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.api.policy.ColumnEqualsClaim;
import dev.herald.api.policy.Principal;
import dev.herald.api.policy.RowPolicy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RowAuthorizerTest {
    private static final ColumnEqualsClaim OWNER = new ColumnEqualsClaim("public", "todos", "user_id", "sub");
    private static final ColumnEqualsClaim TEAM = new ColumnEqualsClaim("public", "todos", "team_id", "app_metadata.team");

    private static Principal user(String sub, Object team, String sessionId) {
        Map<String, Object> claims = new HashMap<>();
        claims.put("sub", sub);
        claims.put("role", "authenticated");
        claims.put("session_id", sessionId);
        claims.put("exp", 2_000_000_000L);
        if (team != null) claims.put("app_metadata", Map.of("team", team, "provider", "email"));
        return new Principal("authenticated", sub, claims);
    }

    @Test
    void sameSubSharesAProjection() {
        RowAuthorizer auth = RowAuthorizer.of(OWNER);
        Object a = auth.projection(OWNER, user("u1", 1L, "session-a"));
        Object b = auth.projection(OWNER, user("u1", 2L, "session-b"));
        Object c = auth.projection(OWNER, user("u2", 1L, "session-a"));
        assertEquals(a, b, "only the policy's claim keys count");
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, c);
    }

    @Test
    void nestedClaimPathProjection() {
        RowAuthorizer auth = RowAuthorizer.of(TEAM);
        Object t1 = auth.projection(TEAM, user("u1", 7L, "s"));
        Object t1b = auth.projection(TEAM, user("u2", 7L, "t"));
        Object t2 = auth.projection(TEAM, user("u3", 8L, "s"));
        Object none = auth.projection(TEAM, user("u4", null, "s"));
        assertEquals(t1, t1b);
        assertNotEquals(t1, t2);
        assertNotEquals(t1, none);
        assertTrue(auth.allows(TEAM, t1, Map.of("team_id", 7L)));
        assertFalse(auth.allows(TEAM, t2, Map.of("team_id", 7L)));
        assertFalse(auth.allows(TEAM, none, Map.of("team_id", 7L)));
    }

    @Test
    void tableProjectionGroupsByTheUnionOfClaimKeys() {
        RowAuthorizer auth = RowAuthorizer.of(OWNER, TEAM);
        assertEquals(List.of("app_metadata.team", "sub"), auth.claimKeys("public", "todos"));
        Object a = auth.projection("public", "todos", user("u1", 7L, "s1"));
        Object b = auth.projection("public", "todos", user("u1", 7L, "s2"));
        Object c = auth.projection("public", "todos", user("u1", 8L, "s1"));
        assertEquals(a, b);
        assertNotEquals(a, c);
    }

    @Test
    void anyPolicyOfTheTableAllows() {
        RowAuthorizer auth = RowAuthorizer.of(OWNER, TEAM);
        Object p = auth.projection("public", "todos", user("u1", 7L, "s"));
        assertTrue(auth.allows("public", "todos", p, Map.of("user_id", "u1", "team_id", 1L)), "owner");
        assertTrue(auth.allows("public", "todos", p, Map.of("user_id", "u9", "team_id", 7L)), "team");
        assertFalse(auth.allows("public", "todos", p, Map.of("user_id", "u9", "team_id", 1L)));
        assertTrue(auth.allows("public", "todos", p, Map.of("user_id", "u1")), "the team policy denies, the owner policy allows");
    }

    @Test
    void hasPolicyPerTable() {
        RowAuthorizer auth = RowAuthorizer.of(OWNER);
        assertTrue(auth.hasPolicy("public", "todos"));
        assertFalse(auth.hasPolicy("public", "notes"));
        assertFalse(auth.hasPolicy("private", "todos"));
        assertEquals(List.of(OWNER), auth.policies("public", "todos"));
        Object p = auth.projection("public", "notes", user("u1", null, "s"));
        assertFalse(auth.allows("public", "notes", p, Map.of("user_id", "u1")), "no policy here: not decided by Herald");
    }

    @Test
    void missingDeclaredColumnDeniesWithoutAsking() {
        AtomicInteger calls = new AtomicInteger();
        RowPolicy permissive = new RowPolicy() {
            public String schema() { return "public"; }
            public String table() { return "todos"; }
            public Set<String> claimKeys() { return Set.of("sub"); }
            public Set<String> columns() { return Set.of("user_id"); }
            public boolean allows(Map<String, Object> c, Map<String, Object> r) { calls.incrementAndGet(); return true; }
        };
        RowAuthorizer auth = RowAuthorizer.of(permissive);
        Object p = auth.projection(permissive, user("u1", null, "s"));
        assertFalse(auth.allows(permissive, p, Map.of("id", 1L)));
        assertEquals(0, calls.get());
        assertTrue(auth.allows(permissive, p, Map.of("id", 1L, "user_id", "x")));
    }

    @Test
    void policySeesOnlyItsOwnClaimKeys() {
        Map<String, Object> seen = new HashMap<>();
        RowPolicy spy = new RowPolicy() {
            public String schema() { return "public"; }
            public String table() { return "todos"; }
            public Set<String> claimKeys() { return Set.of("app_metadata.team"); }
            public Set<String> columns() { return Set.of(); }
            public boolean allows(Map<String, Object> c, Map<String, Object> r) { seen.putAll(c); return false; }
        };
        RowAuthorizer auth = RowAuthorizer.of(OWNER, spy);
        auth.allows("public", "todos", auth.projection("public", "todos", user("u1", 7L, "s")), Map.of("user_id", "u2"));
        assertEquals(Map.of("app_metadata.team", 7L), seen);
    }

    @Test
    void exceptionsAndForeignProjectionsDeny() {
        RowPolicy throwing = new RowPolicy() {
            public String schema() { return "public"; }
            public String table() { return "todos"; }
            public Set<String> claimKeys() { return Set.of("sub"); }
            public Set<String> columns() { return Set.of(); }
            public boolean allows(Map<String, Object> c, Map<String, Object> r) { throw new IllegalStateException("boom"); }
        };
        RowAuthorizer auth = RowAuthorizer.of(throwing, OWNER);
        Principal u1 = user("u1", null, "s");
        assertFalse(auth.allows(throwing, auth.projection(throwing, u1), Map.of("user_id", "u1")));
        assertTrue(auth.allows("public", "todos", auth.projection("public", "todos", u1), Map.of("user_id", "u1")),
                "the other policy still allows");
        assertFalse(auth.allows(OWNER, auth.projection(throwing, u1), Map.of("user_id", "u1")), "projection of another policy");
        assertFalse(auth.allows(OWNER, "not a projection", Map.of("user_id", "u1")));
        assertFalse(auth.allows("public", "other", auth.projection("public", "todos", u1), Map.of("user_id", "u1")));
    }

    @Test
    void permittedEvaluatesOncePerDistinctProjection() {
        AtomicInteger calls = new AtomicInteger();
        RowPolicy counting = new RowPolicy() {
            public String schema() { return "public"; }
            public String table() { return "todos"; }
            public Set<String> claimKeys() { return Set.of("sub"); }
            public Set<String> columns() { return Set.of("user_id"); }
            public boolean allows(Map<String, Object> c, Map<String, Object> r) {
                calls.incrementAndGet();
                return OWNER.allows(c, r);
            }
        };
        RowAuthorizer auth = RowAuthorizer.of(counting);
        record Sub(String name, Principal principal) {
        }
        List<Sub> subs = List.of(
                new Sub("a1", user("a", null, "1")), new Sub("b1", user("b", null, "1")),
                new Sub("a2", user("a", 3L, "2")), new Sub("a3", user("a", null, "3")));
        assertEquals(2, auth.group("public", "todos", subs, Sub::principal).size());
        List<Sub> allowed = auth.permitted("public", "todos", Map.of("user_id", "a"), subs, Sub::principal);
        assertEquals(List.of("a1", "a2", "a3"), allowed.stream().map(Sub::name).toList());
        assertEquals(2, calls.get(), "one evaluation per distinct sub");
    }

    @Test
    void refusesInvalidClaimKeys() {
        RowPolicy bad = new ColumnEqualsClaim("public", "todos", "user_id", "app metadata");
        assertEquals("row policy " + bad + ": claim key 'app metadata' is not a claim path",
                assertThrows(IllegalArgumentException.class, () -> RowAuthorizer.of(bad)).getMessage());
    }
}
