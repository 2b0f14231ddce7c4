package dev.herald.plugins.campaigns;

import dev.herald.plugins.support.JsonInput;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.ws.rs.WebApplicationException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The request-body reader the campaign API validates with (amounts, counters, texts). */
class JsonInputTest {
    private static final BigDecimal MAX = new BigDecimal("1000000000000");

    private static JsonInput in(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return JsonInput.of(m, m.keySet());
    }

    private static void assertInvalid(String messagePart, Runnable r) {
        WebApplicationException e = assertThrows(WebApplicationException.class, r::run);
        assertEquals(400, e.getResponse().getStatus());
        assertTrue(String.valueOf(((Map<?, ?>) e.getResponse().getEntity()).get("message")).contains(messagePart));
    }

    @Test
    void amounts() {
        assertEquals(new BigDecimal("1500.5"), in("budget", 1500.5).optionalAmount("budget", 2, MAX));
        assertEquals(new BigDecimal("7"), in("budget", 7).optionalAmount("budget", 2, MAX));
        assertNull(in("budget", null).optionalAmount("budget", 2, MAX));
        assertInvalid("at most 2 decimals", () -> in("budget", 1.005).optionalAmount("budget", 2, MAX));
        assertInvalid("at least 0", () -> in("budget", -1).optionalAmount("budget", 2, MAX));
        assertInvalid("below 1000000000000", () -> in("budget", 1e12).optionalAmount("budget", 2, MAX));
        assertInvalid("must be a number", () -> in("budget", "100").optionalAmount("budget", 2, MAX));
        assertInvalid("finite", () -> in("budget", Double.NaN).optionalAmount("budget", 2, MAX));
    }

    @Test
    void wholeNumbers() {
        assertEquals(5L, in("clicks", 5).optionalLong("clicks", 0, 10));
        assertEquals(5L, in("clicks", 5L).optionalLong("clicks", 0, 10));
        assertEquals(5L, in("clicks", BigInteger.valueOf(5)).optionalLong("clicks", 0, 10));
        assertInvalid("whole number", () -> in("clicks", new BigInteger("99999999999999999999")).optionalLong("clicks", 0, 10));
        assertInvalid("whole number", () -> in("clicks", 1.0).optionalLong("clicks", 0, 10));
        assertInvalid("between 0 and 10", () -> in("clicks", 11).optionalLong("clicks", 0, 10));
        assertInvalid("clicks is required", () -> in().requiredLong("clicks", 0, 10));
    }

    @Test
    void textsAndUnknownFields() {
        assertEquals("a", in("name", "  a ").requiredText("name", 3));
        assertInvalid("at most 3 characters", () -> in("name", "abcd").requiredText("name", 3));
        assertInvalid("must not be blank", () -> in("name", " ").requiredText("name", 3));
        assertInvalid("unknown field(s) [nmae]", () -> JsonInput.of(Map.of("nmae", "x"), Set.of("name")));
    }
}
