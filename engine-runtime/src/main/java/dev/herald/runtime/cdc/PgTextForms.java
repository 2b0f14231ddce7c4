package dev.herald.runtime.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.util.HexFormat;
import java.util.List;

/**
 * A row value in a text form PostgreSQL's input function for the column's type accepts, so a row image can be rebuilt
 * inside PostgreSQL as {@code $n::type} parameters and judged there: the change feed's own text ({@link PgValue}) as
 * it is; typed values (rows built by tests and benchmarks) written back as text, arrays as array literals with every
 * element quoted. Stateless.
 */
final class PgTextForms {
    private PgTextForms() {
    }

    /** The text form of {@code value}; null for SQL NULL. */
    static String of(Object value) {
        if (value == null) return null;
        if (value instanceof PgValue v) return v.text(); // what the change feed received: PostgreSQL's own text
        if (value instanceof String s) return s;
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Boolean) return value.toString();
        if (value instanceof Double d) {
            // Double.toString gives "NaN", "Infinity", "-Infinity" and "1.0E10", all valid float8 input.
            return d.toString();
        }
        if (value instanceof Float f) return f.toString();
        if (value instanceof BigDecimal b) return b.toPlainString();
        if (value instanceof JsonNode n) return n.toString(); // json/jsonb: the JSON text
        if (value instanceof byte[] b) return "\\x" + HexFormat.of().formatHex(b);
        if (value instanceof OffsetDateTime t) return t.toString();
        if (value instanceof LocalDateTime t) return t.toString();
        if (value instanceof LocalDate d) return d.toString();
        if (value instanceof LocalTime t) return t.toString();
        if (value instanceof OffsetTime t) return t.toString();
        if (value instanceof List<?> list) return array(list);
        return value.toString();
    }

    /** {@code {"a","b",NULL}}: every element double-quoted (backslash and quote escaped), so any text is safe. */
    private static String array(List<?> list) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) sb.append(',');
            Object e = list.get(i);
            if (e == null) {
                sb.append("NULL");
                continue;
            }
            String text = e instanceof List<?> nested ? array(nested) : of(e);
            if (e instanceof List<?>) {
                sb.append(text);
                continue;
            }
            sb.append('"');
            for (int k = 0; k < text.length(); k++) {
                char c = text.charAt(k);
                if (c == '"' || c == '\\') sb.append('\\');
                sb.append(c);
            }
            sb.append('"');
        }
        return sb.append('}').toString();
    }
}
