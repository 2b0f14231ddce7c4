package dev.herald.plugins.support;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, validated reads from a JSON request body (the map Jakarta REST decoded). Every problem becomes a 400
 * {@code InvalidInput} naming the field, so a client learns what to fix; unknown fields are refused too, because a
 * typo ({@code "titel"}) silently ignored would look like success.
 */
public final class JsonInput {
    private final Map<String, Object> body;

    private JsonInput(Map<String, Object> body) {
        this.body = body;
    }

    /**
     * Wraps a request body, refusing a missing body and fields outside {@code allowed}.
     *
     * @throws jakarta.ws.rs.WebApplicationException 400 when the body is absent or names an unknown field
     */
    public static JsonInput of(Map<String, Object> body, Set<String> allowed) {
        if (body == null) throw ApiError.invalid("a JSON object body is required");
        Set<String> unknown = new TreeSet<>(body.keySet());
        unknown.removeAll(allowed);
        if (!unknown.isEmpty()) {
            throw ApiError.invalid("unknown field(s) " + unknown + "; expected some of " + new TreeSet<>(allowed));
        }
        return new JsonInput(body);
    }

    /** Whether the body names {@code field} (even with a null value). */
    public boolean has(String field) {
        return body.containsKey(field);
    }

    /** A required non-blank string of at most {@code maxLength} characters, trimmed. */
    public String requiredText(String field, int maxLength) {
        String s = optionalText(field, maxLength);
        if (s == null) throw ApiError.invalid(field + " is required");
        return s;
    }

    /** An optional string (null when absent or null); blank or too long is refused. Trimmed. */
    public String optionalText(String field, int maxLength) {
        Object v = body.get(field);
        if (v == null) return null;
        if (!(v instanceof String s)) throw ApiError.invalid(field + " must be a string");
        String t = s.trim();
        if (t.isEmpty()) throw ApiError.invalid(field + " must not be blank");
        if (t.length() > maxLength) throw ApiError.invalid(field + " must be at most " + maxLength + " characters");
        return t;
    }

    /** A required string that must be one of {@code choices}. */
    public String requiredChoice(String field, List<String> choices) {
        String s = optionalChoice(field, choices);
        if (s == null) throw ApiError.invalid(field + " is required (one of " + choices + ")");
        return s;
    }

    /** An optional string that must be one of {@code choices} when present. */
    public String optionalChoice(String field, List<String> choices) {
        Object v = body.get(field);
        if (v == null) return null;
        if (!(v instanceof String s) || !choices.contains(s)) throw ApiError.invalid(field + " must be one of " + choices);
        return s;
    }

    /** A required whole number in [min, max]. */
    public long requiredLong(String field, long min, long max) {
        Long n = optionalLong(field, min, max);
        if (n == null) throw ApiError.invalid(field + " is required");
        return n;
    }

    /** An optional whole number in [min, max] (null when absent); fractions and strings are refused. */
    public Long optionalLong(String field, long min, long max) {
        Object v = body.get(field);
        if (v == null) return null;
        long n;
        if (v instanceof Integer || v instanceof Long || v instanceof Short) {
            n = ((Number) v).longValue();
        } else if (v instanceof java.math.BigInteger b && b.bitLength() < 64) {
            n = b.longValue();
        } else {
            throw ApiError.invalid(field + " must be a whole number");
        }
        if (n < min || n > max) throw ApiError.invalid(field + " must be between " + min + " and " + max);
        return n;
    }

    /** An optional non-negative amount with at most {@code scale} decimals, below {@code max}. */
    public BigDecimal optionalAmount(String field, int scale, BigDecimal max) {
        Object v = body.get(field);
        if (v == null) return null;
        if (!(v instanceof Number num)) throw ApiError.invalid(field + " must be a number");
        BigDecimal d;
        try {
            d = new BigDecimal(num.toString());
        } catch (NumberFormatException e) {
            throw ApiError.invalid(field + " must be a finite number");
        }
        if (d.signum() < 0 || d.compareTo(max) >= 0) throw ApiError.invalid(field + " must be at least 0 and below " + max.toPlainString());
        if (d.stripTrailingZeros().scale() > scale) throw ApiError.invalid(field + " must have at most " + scale + " decimals");
        return d;
    }

    /** An optional list of distinct non-blank strings, each at most {@code maxLength} characters. */
    public List<String> optionalTextList(String field, int maxItems, int maxLength) {
        Object v = body.get(field);
        if (v == null) return null;
        if (!(v instanceof List<?> list)) throw ApiError.invalid(field + " must be an array of strings");
        if (list.size() > maxItems) throw ApiError.invalid(field + " must have at most " + maxItems + " items");
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s) || s.isBlank() || s.length() > maxLength) {
                throw ApiError.invalid(field + " items must be non-blank strings of at most " + maxLength + " characters");
            }
            if (out.contains(s.trim())) throw ApiError.invalid(field + " has the duplicate item '" + s.trim() + "'");
            out.add(s.trim());
        }
        return out;
    }

    /** A path or query id: a positive whole number, else 404 (an id that cannot exist is an unknown id). */
    public static long id(String raw, String what) {
        try {
            long id = Long.parseLong(raw);
            if (id > 0) return id;
        } catch (NumberFormatException ignored) {
            // falls through to the refusal
        }
        throw ApiError.notFound("no " + what + " with id '" + raw + "'");
    }
}
