package dev.herald.runtime.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.api.policy.Principal;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Claim paths ({@code sub}, {@code app_metadata.team}) and the text form used to compare claim values with topic
 * segments, rule values and row values. Stateless and thread-safe.
 */
public final class ClaimPaths {
    private static final Pattern PATH = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*(?:\\.[A-Za-z_][A-Za-z0-9_-]*)*");

    private ClaimPaths() {
    }

    /** Whether {@code path} is a claim path: names ({@code [A-Za-z_][A-Za-z0-9_-]*}) joined by dots. */
    public static boolean isValid(String path) {
        return path != null && PATH.matcher(path).matches();
    }

    /**
     * The value at {@code path} in the principal's claims, or null when absent. {@code role} and {@code sub} fall back
     * to {@link Principal#role()} and {@link Principal#subject()} when the claim map lacks them.
     */
    public static Object resolve(Principal principal, String path) {
        if (principal == null) return null;
        Object value = resolve(principal.claims(), path);
        if (value == null) {
            if (path.equals("role")) return principal.role();
            if (path.equals("sub")) return principal.subject();
        }
        return value;
    }

    /**
     * The value at the dot-separated {@code path} in {@code claims}, walking nested maps (or Jackson object nodes), or
     * null when any step is absent or not an object. Scalar Jackson nodes are returned as Java values.
     */
    public static Object resolve(Map<String, ?> claims, String path) {
        if (claims == null) return null;
        Object current = claims;
        int start = 0;
        while (true) {
            int dot = path.indexOf('.', start);
            String name = dot < 0 ? path.substring(start) : path.substring(start, dot);
            if (current instanceof Map<?, ?> map) {
                current = map.get(name);
            } else if (current instanceof JsonNode node && node.isObject()) {
                current = node.get(name);
            } else {
                return null;
            }
            if (current == null) return null;
            if (dot < 0) return plain(current);
            start = dot + 1;
        }
    }

    /**
     * The comparable text of a value: strings and uuids as they are, booleans as {@code true}/{@code false}, numbers in
     * plain notation without trailing zeros ({@code 42.0} → {@code 42}); null for anything else (null, objects, lists,
     * NaN, infinities). Same rule as {@link dev.herald.api.policy.ColumnEqualsClaim}.
     */
    public static String text(Object value) {
        Object v = plain(value);
        if (v instanceof String || v instanceof UUID || v instanceof Boolean) return v.toString();
        if (v instanceof Number n) {
            try {
                return new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
            } catch (NumberFormatException nanOrInfinity) {
                return null;
            }
        }
        return null;
    }

    /** Whether {@code value} is a list (or JSON array) with an element whose text is {@code expected}. */
    static boolean contains(Object value, String expected) {
        if (expected == null) return false;
        if (value instanceof List<?> list) {
            for (Object element : list) {
                if (expected.equals(text(element))) return true;
            }
        } else if (value instanceof JsonNode node && node.isArray()) {
            for (JsonNode element : node) {
                if (expected.equals(text(element))) return true;
            }
        }
        return false;
    }

    private static Object plain(Object value) {
        if (value instanceof JsonNode node) {
            if (node.isNull() || node.isMissingNode()) return null;
            if (node.isTextual()) return node.textValue();
            if (node.isBoolean()) return node.booleanValue();
            if (node.isNumber()) return node.numberValue();
        }
        return value;
    }
}
