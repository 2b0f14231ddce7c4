package dev.herald.runtime.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.herald.api.policy.ColumnEqualsClaim;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ColumnEqualsClaimTest {
    private static final String SUB = "6b1d0f3e-2c41-4f7a-9a55-0d3c9b6e8f10";
    private static final ColumnEqualsClaim OWNER = new ColumnEqualsClaim("public", "todos", "user_id", "sub");

    private static Map<String, Object> sub(Object value) {
        Map<String, Object> m = new HashMap<>();
        m.put("sub", value);
        return m;
    }

    private static Map<String, Object> row(Object userId) {
        Map<String, Object> m = new HashMap<>();
        m.put("id", 1L);
        m.put("user_id", userId);
        return m;
    }

    @Test
    void declaresItsInputs() {
        assertEquals(Set.of("sub"), OWNER.claimKeys());
        assertEquals(Set.of("user_id"), OWNER.columns());
        assertEquals("public", OWNER.schema());
        assertEquals("todos", OWNER.table());
    }

    @Test
    void uuidColumnAgainstSub() {
        // Herald decodes uuid columns to their text; a UUID object works too.
        assertTrue(OWNER.allows(sub(SUB), row(SUB)));
        assertTrue(OWNER.allows(sub(SUB), row(UUID.fromString(SUB))));
        assertFalse(OWNER.allows(sub(SUB), row("00000000-0000-0000-0000-000000000000")));
    }

    @Test
    void textColumn() {
        assertTrue(OWNER.allows(sub("alice"), row("alice")));
        assertFalse(OWNER.allows(sub("alice"), row("Alice")), "text comparison is exact");
        assertFalse(OWNER.allows(sub("alice"), row("alice ")));
    }

    @Test
    void numbersCompareByValueText() {
        ColumnEqualsClaim team = new ColumnEqualsClaim("public", "docs", "team_id", "app_metadata.team");
        Map<String, Object> claim42 = Map.of("app_metadata.team", 42L);
        assertTrue(team.allows(claim42, Map.of("team_id", 42L)));
        assertTrue(team.allows(claim42, Map.of("team_id", new BigDecimal("42.00"))));
        assertTrue(team.allows(claim42, Map.of("team_id", 42.0)));
        assertTrue(team.allows(Map.of("app_metadata.team", "42"), Map.of("team_id", 42L)), "a string claim against a bigint column");
        assertTrue(team.allows(claim42, Map.of("team_id", "42")), "a number claim against a text column");
        assertFalse(team.allows(claim42, Map.of("team_id", 43L)));
        assertFalse(team.allows(claim42, Map.of("team_id", 42.5)));
        assertFalse(team.allows(Map.of("app_metadata.team", Double.NaN), Map.of("team_id", Double.NaN)));
    }

    @Test
    void booleans() {
        ColumnEqualsClaim flag = new ColumnEqualsClaim("public", "t", "is_anon", "is_anonymous");
        assertTrue(flag.allows(Map.of("is_anonymous", true), Map.of("is_anon", true)));
        assertFalse(flag.allows(Map.of("is_anonymous", false), Map.of("is_anon", true)));
    }

    @Test
    void nullMissingAndUncomparableValuesDeny() {
        assertFalse(OWNER.allows(sub(null), row(null)), "NULL = NULL is not true");
        assertFalse(OWNER.allows(sub(SUB), row(null)));
        assertFalse(OWNER.allows(sub(null), row(SUB)));
        assertFalse(OWNER.allows(Collections.emptyMap(), row(SUB)));
        assertFalse(OWNER.allows(sub(SUB), Map.of("id", 1L)), "missing column = unknown");
        assertFalse(OWNER.allows(sub(SUB), row(List.of(SUB))));
        assertFalse(OWNER.allows(sub(SUB), row(new TextNode(SUB))), "json values are not compared");
        assertFalse(OWNER.allows(sub(LocalDate.of(2024, 1, 1)), row(LocalDate.of(2024, 1, 1))));
        assertFalse(OWNER.allows(sub(Map.of("x", 1)), row("{x=1}")));
    }

    @Test
    void refusesBlankParts() {
        assertThrows(IllegalArgumentException.class, () -> new ColumnEqualsClaim("public", "todos", " ", "sub"));
        assertThrows(NullPointerException.class, () -> new ColumnEqualsClaim("public", null, "user_id", "sub"));
    }
}
