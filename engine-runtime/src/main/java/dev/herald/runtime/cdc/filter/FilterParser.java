package dev.herald.runtime.cdc.filter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code postgres_changes} filter grammar (docs/wire-protocol.md, "Filters"), reproducing the reference server's
 * parser including its error texts: conditions separated by top-level commas, each
 * {@code <column>=[not.]<op>.<value>}. Grammar only; type checks happen in {@link FilterCompiler}. Stateless and
 * thread-safe.
 */
public final class FilterParser {
    /** The operators the grammar accepts. */
    public static final Set<String> OPERATORS =
            Set.of("eq", "neq", "lt", "lte", "gt", "gte", "in", "like", "ilike", "is", "match", "imatch", "isdistinct");

    /** Upper bound on the elements of one {@code in} list. */
    public static final int MAX_IN_VALUES = 100;

    static final String EMPTY_SEGMENT = "filter must not contain empty segments (check for extra commas)";
    static final String IN_PARENTHESES = "`in` filter value must be wrapped by parentheses";
    static final String TOO_MANY_IN_VALUES = "too many values for `in` filter. Maximum " + MAX_IN_VALUES;

    private FilterParser() {
    }

    /**
     * Parses a filter string; {@code null}, empty or blank means "no filter" (empty list).
     *
     * @throws FilterException with the reference's message, e.g. {@code Error parsing `filter` params: ["wrong"]}
     */
    public static List<Condition> parse(String filter) throws FilterException {
        if (filter == null) return List.of();
        String trimmed = filter.strip();
        if (trimmed.isEmpty()) return List.of();
        List<Condition> out = new ArrayList<>();
        for (String segment : splitTopLevel(trimmed)) out.add(parseSegment(segment));
        return List.copyOf(out);
    }

    /**
     * Splits at commas that are neither inside parentheses nor inside a double-quoted value. A quote only opens after
     * {@code .}, {@code (} or {@code ,} (the start of a value or list element), so a stray quote in the middle of a
     * word stays literal and does not swallow the rest of the filter.
     */
    static List<String> splitTopLevel(String s) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int depth = 0;
        boolean quoted = false;
        char prev = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quoted) {
                if (c == '\\' && i + 1 < s.length()) {
                    char next = s.charAt(++i);
                    current.append(c).append(next);
                    prev = next;
                    continue;
                }
                if (c == '"') quoted = false;
                current.append(c);
                prev = c;
                continue;
            }
            if (c == '"' && (prev == '.' || prev == '(' || prev == ',')) {
                quoted = true;
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth = Math.max(0, depth - 1);
            } else if (c == ',' && depth == 0) {
                parts.add(current.toString());
                current.setLength(0);
                prev = 0; // the reference resets here: a quote right after a top-level comma opens nothing
                continue;
            }
            current.append(c);
            prev = c;
        }
        parts.add(current.toString());
        return parts;
    }

    private static Condition parseSegment(String segment) throws FilterException {
        String trimmed = segment.strip();
        if (trimmed.isEmpty()) throw new FilterException(EMPTY_SEGMENT);
        int eq = trimmed.indexOf('=');
        if (eq < 0) throw unparsable(List.of(trimmed));
        String column = trimmed.substring(0, eq);
        String opValue = trimmed.substring(eq + 1);
        boolean negated = opValue.startsWith("not.");
        if (negated) opValue = opValue.substring(4);
        int dot = opValue.indexOf('.');
        if (dot < 0) throw unparsable(List.of(opValue));
        String op = opValue.substring(0, dot);
        String value = opValue.substring(dot + 1);
        if (!OPERATORS.contains(op)) throw unparsable(List.of(op, value));
        if (op.equals("in")) {
            if (value.length() < 2 || value.charAt(0) != '(' || value.charAt(value.length() - 1) != ')') {
                throw new FilterException(IN_PARENTHESES);
            }
            String literal = "{" + value.substring(1, value.length() - 1) + "}";
            List<String> elements = PgArrayLiteral.parse(literal);
            if (elements.size() > MAX_IN_VALUES) throw new FilterException(TOO_MANY_IN_VALUES);
            return new Condition(column, op, negated, literal, elements);
        }
        return new Condition(column, op, negated, unquote(value));
    }

    /**
     * PostgREST-style value quoting: {@code "…"} with backslash escaping the next character, but only when the closing
     * quote is the last character; otherwise the value is kept exactly as written.
     */
    static String unquote(String value) {
        if (value.isEmpty() || value.charAt(0) != '"') return value;
        StringBuilder sb = new StringBuilder(value.length());
        for (int i = 1; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"') return i == value.length() - 1 ? sb.toString() : value;
            if (c == '\\' && i + 1 < value.length()) c = value.charAt(++i);
            sb.append(c);
        }
        return value;
    }

    private static FilterException unparsable(List<String> pieces) {
        StringBuilder sb = new StringBuilder("Error parsing `filter` params: [");
        for (int i = 0; i < pieces.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(inspect(pieces.get(i)));
        }
        return new FilterException(sb.append(']').toString());
    }

    /** Renders {@code conditions} like the reference's Elixir {@code inspect} of its filter list, for error messages. */
    public static String inspect(List<Condition> conditions) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < conditions.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(conditions.get(i).inspect());
        }
        return sb.append(']').toString();
    }

    /**
     * Elixir's {@code inspect} of a string, so error texts match the reference byte for byte: a printable string is
     * quoted with escapes; anything else is shown as a {@code <<…>>} list of its UTF-8 bytes.
     */
    static String inspect(String s) {
        if (!elixirPrintable(s)) {
            StringBuilder sb = new StringBuilder("<<");
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < bytes.length; i++) {
                if (i > 0) sb.append(", ");
                sb.append(bytes[i] & 0xFF);
            }
            return sb.append(">>").toString();
        }
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\u000B' -> sb.append("\\v");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\u001B' -> sb.append("\\e");
                case '\u007F' -> sb.append("\\d");
                case '\u0007' -> sb.append("\\a");
                case '#' -> sb.append(i + 1 < s.length() && s.charAt(i + 1) == '{' ? "\\#" : "#");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    private static boolean elixirPrintable(String s) {
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean ok = (cp >= 0x20 && cp <= 0x7E) || cp == '\n' || cp == '\r' || cp == '\t' || cp == 0x0B
                    || cp == '\b' || cp == '\f' || cp == 0x1B || cp == 0x7F || cp == 0x07
                    || (cp >= 0xA0 && cp < 0xD800) || (cp > 0xDFFF && cp < 0xFFFE) || (cp > 0xFFFF && cp <= 0x10FFFF);
            if (!ok) return false;
        }
        return true;
    }
}
