package dev.herald.runtime.cdc;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.herald.runtime.protocol.Json;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * PostgreSQL text output (ISO DateStyle, as the replication connection has it) to the payload's JSON and to Herald's
 * typed row model. The JSON is what {@code to_jsonb} gives in a {@code TimeZone=UTC} session, built from the text
 * without going through Java types: numbers are copied (floats with an exponent written out, as jsonb's numeric
 * does), json/jsonb copied raw, dates and times reformatted ISO with {@code T}, timestamptz moved to UTC, arrays,
 * composites and ranges parsed; the deliberate differences are listed in docs/postgres-changes.md. Hand-written
 * scanners, no regular expressions, no exceptions for valid input. Malformed input throws
 * {@link IllegalArgumentException} (the caller falls back to the text). Stateless.
 */
public final class PgText {
    private PgText() {
    }

    // ---- JSON ---------------------------------------------------------------------------------------------------

    /** The {@code to_jsonb} JSON of non-NULL {@code text} of type {@code type}, appended to {@code out}. */
    public static void writeJson(StringBuilder out, String text, PgTypeInfo type) {
        switch (type.kind()) {
            case INT -> out.append(text);
            case FLOAT, NUMERIC -> number(out, text);
            case BOOL -> out.append(text.equals("t") ? "true" : "false");
            case JSON, JSONB -> out.append(text);
            case TIMESTAMP -> string(out, timestampJson(text));
            case TIMESTAMPTZ -> string(out, timestampJson(timestamptzToUtc(text)));
            case BYTEA -> string(out, byteaHex(text));
            case ARRAY -> arrayJson(out, parseArray(text, type.delimiter()), type.element());
            case COMPOSITE -> compositeJson(out, text, type);
            case RANGE -> string(out, type.zoneDependent() ? rangeToUtc(text) : text);
            case MULTIRANGE -> string(out, type.zoneDependent() ? multirangeToUtc(text) : text);
            default -> string(out, text); // OID, DATE, TIME, TIMETZ, TEXT: the text output itself
        }
    }

    /** {@link #writeJson} into a new string; falls back to the JSON string of {@code text} when it cannot be parsed. */
    public static String json(String text, PgTypeInfo type) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        try {
            writeJson(sb, text, type);
        } catch (RuntimeException e) {
            sb.setLength(0);
            string(sb, text);
        }
        return sb.toString();
    }

    static void string(StringBuilder out, String s) {
        out.append('"');
        JsonStringEncoder.getInstance().quoteAsString(s, out);
        out.append('"');
    }

    /** A float or numeric: NaN and infinities as strings; exponent forms written out (jsonb stores them as numeric). */
    private static void number(StringBuilder out, String text) {
        char c = text.isEmpty() ? ' ' : text.charAt(text.length() - 1);
        if (c == 'N' || c == 'y') { // NaN, Infinity, -Infinity
            string(out, text);
            return;
        }
        if (text.indexOf('e') >= 0 || text.equals("-0")) {
            out.append(new BigDecimal(text).toPlainString());
            return;
        }
        out.append(text);
    }

    /** timestamp text {@code 2026-08-21 12:00:00.5[ BC]} → {@code 2026-08-21T12:00:00.5[ BC]}; infinities as they are. */
    static String timestampJson(String text) {
        int sp = text.indexOf(' ');
        if (sp < 0) return text;
        char[] c = text.toCharArray();
        c[sp] = 'T';
        String s = new String(c);
        // timestamptz: the UTC offset +00 becomes +00:00 (XSD form), before an optional " BC"
        int end = s.endsWith(" BC") ? s.length() - 3 : s.length();
        if (end >= 3 && s.startsWith("+00", end - 3)) return s.substring(0, end) + ":00" + s.substring(end);
        return s;
    }

    private static String byteaHex(String text) {
        if (text.startsWith("\\x")) return text.substring(2);
        return HexFormat.of().formatHex(byteaEscape(text)); // bytea_output = escape
    }

    private static void arrayJson(StringBuilder out, Object parsed, PgTypeInfo element) {
        if (parsed == null) {
            out.append("null");
        } else if (parsed instanceof List<?> l) {
            out.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) out.append(',');
                arrayJson(out, l.get(i), element);
            }
            out.append(']');
        } else {
            writeJson(out, (String) parsed, element);
        }
    }

    private static void compositeJson(StringBuilder out, String text, PgTypeInfo type) {
        List<String> values = parseComposite(text);
        List<PgTypeInfo.Field> fields = type.fields();
        if (values.size() != fields.size()) throw new IllegalArgumentException("composite arity");
        out.append('{');
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) out.append(',');
            string(out, fields.get(i).name());
            out.append(':');
            String v = values.get(i);
            if (v == null) out.append("null");
            else writeJson(out, v, fields.get(i).type());
        }
        out.append('}');
    }

    // ---- typed model ----------------------------------------------------------------------------------------------

    /** Herald's typed value of non-NULL {@code text}, or the text itself when it has no exact typed form. */
    public static Object typed(String text, PgTypeInfo type) {
        try {
            return switch (type.kind()) {
                case INT, OID -> Long.parseLong(text);
                case FLOAT -> Double.parseDouble(text);
                case NUMERIC -> isSpecialNumber(text) ? text : new BigDecimal(text);
                case BOOL -> text.equals("t");
                case JSON, JSONB -> Json.read(text);
                case DATE -> isInfinity(text) ? text : date(text, 0, endOfDate(text));
                case TIME -> text.startsWith("24:") ? text : time(text, 0, text.length());
                case TIMETZ -> text.startsWith("24:") ? text : timetz(text);
                case TIMESTAMP -> isInfinity(text) ? text : timestamp(text).toLocalDateTime();
                case TIMESTAMPTZ -> isInfinity(text) ? text : timestamp(text).withOffsetSameInstant(ZoneOffset.UTC);
                case BYTEA -> text.startsWith("\\x") ? HexFormat.of().parseHex(text, 2, text.length()) : byteaEscape(text);
                case ARRAY -> typedArray(parseArray(text, type.delimiter()), type.element());
                case RANGE -> type.zoneDependent() ? rangeToUtc(text) : text;
                case MULTIRANGE -> type.zoneDependent() ? multirangeToUtc(text) : text;
                default -> text;
            };
        } catch (IOException | RuntimeException e) {
            return text;
        }
    }

    private static Object typedArray(Object parsed, PgTypeInfo element) {
        if (parsed == null) return null;
        if (parsed instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) out.add(typedArray(o, element));
            return Collections.unmodifiableList(out);
        }
        return typed((String) parsed, element);
    }

    private static boolean isSpecialNumber(String text) {
        char c = text.isEmpty() ? ' ' : text.charAt(text.length() - 1);
        return c == 'N' || c == 'y';
    }

    private static boolean isInfinity(String text) {
        return text.equals("infinity") || text.equals("-infinity");
    }

    // ---- dates and times ------------------------------------------------------------------------------------------

    private static int endOfDate(String s) {
        int sp = s.indexOf(' ');
        return sp < 0 ? s.length() : sp;
    }

    /** {@code Y...Y-MM-DD} in {@code s[from, to)}, BC when {@code s} ends with " BC". */
    private static LocalDate date(String s, int from, int to) {
        int d1 = s.indexOf('-', from + 1);
        int year = digits(s, from, d1);
        int month = digits(s, d1 + 1, d1 + 3);
        int day = digits(s, d1 + 4, d1 + 6);
        if (d1 + 6 != to || s.charAt(d1 + 3) != '-') throw new IllegalArgumentException("date");
        if (s.endsWith(" BC")) year = 1 - year;
        return LocalDate.of(year, month, day);
    }

    /** {@code HH:MM:SS[.ffffff]} in {@code s[from, to)}. */
    private static LocalTime time(String s, int from, int to) {
        if (to - from < 8 || s.charAt(from + 2) != ':' || s.charAt(from + 5) != ':') throw new IllegalArgumentException("time");
        int h = digits(s, from, from + 2);
        int m = digits(s, from + 3, from + 5);
        int sec = digits(s, from + 6, from + 8);
        int nanos = 0;
        if (to > from + 8) {
            if (s.charAt(from + 8) != '.') throw new IllegalArgumentException("time");
            nanos = fraction(s, from + 9, to);
        }
        return LocalTime.of(h, m, sec, nanos);
    }

    private static int fraction(String s, int from, int to) {
        if (to <= from || to - from > 9) throw new IllegalArgumentException("fraction");
        int n = digits(s, from, to);
        for (int i = to - from; i < 9; i++) n *= 10;
        return n;
    }

    /** The offset {@code ±HH[:MM[:SS]]} starting at {@code s[from]} up to {@code to}, in seconds east of UTC. */
    private static int offset(String s, int from, int to) {
        char sign = s.charAt(from);
        if (sign != '+' && sign != '-') throw new IllegalArgumentException("offset");
        int secs = digits(s, from + 1, from + 3) * 3600;
        if (to > from + 3) {
            if (s.charAt(from + 3) != ':') throw new IllegalArgumentException("offset");
            secs += digits(s, from + 4, from + 6) * 60;
            if (to > from + 6) {
                if (s.charAt(from + 6) != ':' || to != from + 9) throw new IllegalArgumentException("offset");
                secs += digits(s, from + 7, from + 9);
            } else if (to != from + 6) {
                throw new IllegalArgumentException("offset");
            }
        } else if (to != from + 3) {
            throw new IllegalArgumentException("offset");
        }
        return sign == '-' ? -secs : secs;
    }

    private static int offsetStart(String s, int from, int to) {
        for (int i = to - 1; i > from; i--) {
            char c = s.charAt(i);
            if (c == '+' || c == '-') return i;
        }
        return -1;
    }

    private static OffsetTime timetz(String s) {
        int o = offsetStart(s, 0, s.length());
        if (o < 0) throw new IllegalArgumentException("timetz");
        return OffsetTime.of(time(s, 0, o), ZoneOffset.ofTotalSeconds(offset(s, o, s.length())));
    }

    /** timestamp or timestamptz text (an offset is optional) as an OffsetDateTime in its own offset. */
    private static OffsetDateTime timestamp(String s) {
        int end = s.endsWith(" BC") ? s.length() - 3 : s.length();
        int sp = s.indexOf(' ');
        if (sp < 0 || sp >= end) throw new IllegalArgumentException("timestamp");
        LocalDate d = date(s, 0, sp);
        int o = offsetStart(s, sp + 1, end);
        int timeEnd = o < 0 ? end : o;
        LocalTime t = time(s, sp + 1, timeEnd);
        int off = o < 0 ? 0 : offset(s, o, end);
        return OffsetDateTime.of(d, t, ZoneOffset.ofTotalSeconds(off));
    }

    /** timestamptz text in any offset → the same instant as text in UTC ({@code +00}); infinities unchanged. */
    static String timestamptzToUtc(String s) {
        if (isInfinity(s)) return s;
        int end = s.endsWith(" BC") ? s.length() - 3 : s.length();
        // Already UTC: the offset is exactly "+00" (a longer offset ends in ":MM" or ":SS").
        if (end >= 3 && s.startsWith("+00", end - 3)) return s;
        return format(timestamp(s).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime());
    }

    /** PostgreSQL's ISO output of a UTC timestamptz: {@code YYYY-MM-DD HH:MM:SS[.ffffff]+00[ BC]}. */
    private static String format(LocalDateTime t) {
        StringBuilder sb = new StringBuilder(32);
        int year = t.getYear();
        boolean bc = year <= 0;
        int y = bc ? 1 - year : year;
        String ys = Integer.toString(y);
        for (int i = ys.length(); i < 4; i++) sb.append('0');
        sb.append(ys).append('-');
        two(sb, t.getMonthValue()).append('-');
        two(sb, t.getDayOfMonth()).append(' ');
        two(sb, t.getHour()).append(':');
        two(sb, t.getMinute()).append(':');
        two(sb, t.getSecond());
        int micros = t.getNano() / 1000;
        if (micros != 0) {
            String f = Integer.toString(micros + 1_000_000).substring(1);
            int e = f.length();
            while (f.charAt(e - 1) == '0') e--;
            sb.append('.').append(f, 0, e);
        }
        sb.append("+00");
        if (bc) sb.append(" BC");
        return sb.toString();
    }

    private static StringBuilder two(StringBuilder sb, int n) {
        if (n < 10) sb.append('0');
        return sb.append(n);
    }

    private static int digits(String s, int from, int to) {
        if (to <= from || to > s.length() || to - from > 9) throw new IllegalArgumentException("digits");
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') throw new IllegalArgumentException("digits");
            n = n * 10 + (c - '0');
        }
        return n;
    }

    // ---- bytea ----------------------------------------------------------------------------------------------------

    /** bytea's escape output: printable bytes as themselves, {@code \\} and {@code \ooo}. */
    private static byte[] byteaEscape(String text) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[in.length];
        int n = 0;
        for (int i = 0; i < in.length; i++) {
            if (in[i] != '\\') {
                out[n++] = in[i];
            } else if (i + 1 < in.length && in[i + 1] == '\\') {
                out[n++] = '\\';
                i++;
            } else if (i + 3 < in.length) {
                out[n++] = (byte) ((in[i + 1] - '0') << 6 | (in[i + 2] - '0') << 3 | (in[i + 3] - '0'));
                i += 3;
            } else {
                throw new IllegalArgumentException("bytea");
            }
        }
        return Arrays.copyOf(out, n);
    }

    // ---- arrays, composites, ranges -------------------------------------------------------------------------------

    /**
     * array_out text ({@code {1,NULL,"a b"}}, {@code {{1,2},{3,4}}}, {@code [0:1]={1,2}}) → nested lists of element
     * texts, {@code null} for NULL elements. Dimension bounds are dropped, as {@code to_jsonb} drops them.
     */
    static Object parseArray(String s, char delimiter) {
        int i = 0;
        if (s.startsWith("[")) {
            i = s.indexOf('=');
            if (i < 0) throw new IllegalArgumentException("array dimensions");
            i++;
        }
        int[] pos = {i};
        Object out = arrayLevel(s, pos, delimiter);
        if (pos[0] != s.length()) throw new IllegalArgumentException("array: trailing text");
        return out;
    }

    private static List<Object> arrayLevel(String s, int[] pos, char delimiter) {
        int i = pos[0];
        if (i >= s.length() || s.charAt(i) != '{') throw new IllegalArgumentException("array: expected {");
        i++;
        List<Object> items = new ArrayList<>();
        if (i < s.length() && s.charAt(i) == '}') {
            pos[0] = i + 1;
            return items;
        }
        while (true) {
            if (i >= s.length()) throw new IllegalArgumentException("array: unterminated");
            char c = s.charAt(i);
            if (c == '{') {
                pos[0] = i;
                items.add(arrayLevel(s, pos, delimiter));
                i = pos[0];
            } else if (c == '"') {
                StringBuilder sb = new StringBuilder();
                i++;
                while (true) {
                    if (i >= s.length()) throw new IllegalArgumentException("array: unterminated quote");
                    char q = s.charAt(i++);
                    if (q == '\\') {
                        if (i >= s.length()) throw new IllegalArgumentException("array: dangling escape");
                        sb.append(s.charAt(i++));
                    } else if (q == '"') {
                        break;
                    } else {
                        sb.append(q);
                    }
                }
                items.add(sb.toString());
            } else {
                int start = i;
                while (i < s.length() && s.charAt(i) != delimiter && s.charAt(i) != '}') i++;
                String token = s.substring(start, i);
                items.add(token.equalsIgnoreCase("NULL") ? null : token);
            }
            if (i >= s.length()) throw new IllegalArgumentException("array: unterminated");
            char sep = s.charAt(i++);
            if (sep == '}') {
                pos[0] = i;
                return items;
            }
            if (sep != delimiter) throw new IllegalArgumentException("array: expected delimiter");
        }
    }

    /** record_out text {@code (1,"a b",)} → field texts, {@code null} for NULL fields. */
    static List<String> parseComposite(String s) {
        if (s.length() < 2 || s.charAt(0) != '(' || s.charAt(s.length() - 1) != ')') throw new IllegalArgumentException("composite");
        List<String> out = new ArrayList<>();
        int i = 1;
        int end = s.length() - 1;
        while (true) {
            int[] pos = {i};
            out.add(field(s, pos, end));
            i = pos[0];
            if (i == end) return out;
            if (s.charAt(i) != ',') throw new IllegalArgumentException("composite: expected ,");
            i++;
        }
    }

    /**
     * One field of a composite or bound of a range, up to {@code ,} or {@code end}: quoted parts with {@code ""} and
     * backslash escapes; empty and unquoted is NULL (unbounded for ranges).
     */
    private static String field(String s, int[] pos, int end) {
        int i = pos[0];
        StringBuilder sb = null;
        int start = i;
        boolean quoted = false;
        while (i < end && s.charAt(i) != ',') {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = true;
                if (sb == null) sb = new StringBuilder(s.substring(start, i));
                i++;
                while (true) {
                    if (i >= end) throw new IllegalArgumentException("unterminated quote");
                    char q = s.charAt(i++);
                    if (q == '\\') {
                        sb.append(s.charAt(i++));
                    } else if (q == '"') {
                        if (i < end && s.charAt(i) == '"') {
                            sb.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        sb.append(q);
                    }
                }
            } else if (c == '\\') {
                if (sb == null) sb = new StringBuilder(s.substring(start, i));
                sb.append(s.charAt(i + 1));
                i += 2;
            } else {
                if (sb != null) sb.append(c);
                i++;
            }
        }
        pos[0] = i;
        if (sb != null) return sb.toString();
        if (i == start && !quoted) return null;
        return s.substring(start, i);
    }

    /** range_out text with timestamptz bounds → the same range with its bounds in UTC. */
    static String rangeToUtc(String s) {
        if (s.equals("empty")) return s;
        int end = s.length() - 1;
        char open = s.charAt(0);
        char close = s.charAt(end);
        if ((open != '[' && open != '(') || (close != ']' && close != ')')) throw new IllegalArgumentException("range");
        int[] pos = {1};
        String lower = field(s, pos, end);
        if (pos[0] >= end || s.charAt(pos[0]) != ',') throw new IllegalArgumentException("range: expected ,");
        pos[0]++;
        String upper = field(s, pos, end);
        if (pos[0] != end) throw new IllegalArgumentException("range: trailing text");
        StringBuilder sb = new StringBuilder(s.length() + 8).append(open);
        bound(sb, lower);
        sb.append(',');
        bound(sb, upper);
        return sb.append(close).toString();
    }

    private static void bound(StringBuilder sb, String value) {
        if (value == null) return;
        String v = timestamptzToUtc(value);
        boolean quote = v.isEmpty();
        for (int i = 0; i < v.length() && !quote; i++) {
            char c = v.charAt(i);
            quote = c == '"' || c == '\\' || c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || Character.isWhitespace(c);
        }
        if (!quote) {
            sb.append(v);
            return;
        }
        sb.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\') sb.append(c);
            sb.append(c);
        }
        sb.append('"');
    }

    /** multirange_out text {@code {[a,b),[c,d)}} with timestamptz bounds → its ranges' bounds in UTC. */
    static String multirangeToUtc(String s) {
        if (s.length() < 2 || s.charAt(0) != '{' || s.charAt(s.length() - 1) != '}') throw new IllegalArgumentException("multirange");
        StringBuilder sb = new StringBuilder(s.length() + 16).append('{');
        int i = 1;
        int end = s.length() - 1;
        boolean first = true;
        while (i < end) {
            int start = i;
            boolean inQuote = false;
            i++;
            while (i < end) {
                char c = s.charAt(i);
                if (inQuote) {
                    if (c == '\\') i++;
                    else if (c == '"') inQuote = false;
                } else if (c == '"') {
                    inQuote = true;
                } else if (c == ']' || c == ')') {
                    break;
                }
                i++;
            }
            if (i >= end) throw new IllegalArgumentException("multirange: unterminated range");
            if (!first) sb.append(',');
            first = false;
            sb.append(rangeToUtc(s.substring(start, i + 1)));
            i++;
            if (i < end) {
                if (s.charAt(i) != ',') throw new IllegalArgumentException("multirange: expected ,");
                i++;
            }
        }
        return sb.append('}').toString();
    }
}
