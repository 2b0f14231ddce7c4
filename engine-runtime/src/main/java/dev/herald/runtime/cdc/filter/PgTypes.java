package dev.herald.runtime.cdc.filter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/** The {@link PgType}s, looked up by {@code pg_type.typname}. Stateless. */
final class PgTypes {
    private PgTypes() {
    }

    private static final PgType INT2 = new IntType("int2", "smallint", Short.MIN_VALUE, Short.MAX_VALUE);
    private static final PgType INT4 = new IntType("int4", "integer", Integer.MIN_VALUE, Integer.MAX_VALUE);
    private static final PgType INT8 = new IntType("int8", "bigint", Long.MIN_VALUE, Long.MAX_VALUE);
    private static final PgType OID = new IntType("oid", "oid", 0, 0xFFFF_FFFFL);
    private static final PgType FLOAT4 = new FloatType("float4", "real", true);
    private static final PgType FLOAT8 = new FloatType("float8", "double precision", false);
    private static final PgType NUMERIC = new NumericType();
    private static final PgType BOOL = new BoolType();
    private static final PgType TEXT = new TextType("text", "text", TextType.PLAIN);
    private static final PgType VARCHAR = new TextType("varchar", "character varying", TextType.PLAIN);
    private static final PgType BPCHAR = new TextType("bpchar", "character", TextType.BLANK_PADDED);
    private static final PgType NAME = new TextType("name", "name", TextType.PLAIN);
    private static final PgType CITEXT = new TextType("citext", "citext", TextType.CASE_INSENSITIVE);
    private static final PgType UUID_TYPE = new UuidType();
    private static final PgType JSON = new JsonType("json");
    private static final PgType JSONB = new JsonType("jsonb");
    private static final PgType DATE = new DateType();
    private static final PgType TIME = new TimeType();
    private static final PgType TIMETZ = new TimetzType();
    private static final PgType TIMESTAMP = new TimestampType();
    private static final PgType TIMESTAMPTZ = new TimestamptzType();
    private static final PgType BYTEA = new ByteaType();

    private static final Map<String, PgType> BY_NAME = Map.ofEntries(
            Map.entry("int2", INT2), Map.entry("int4", INT4), Map.entry("int8", INT8), Map.entry("oid", OID),
            Map.entry("float4", FLOAT4), Map.entry("float8", FLOAT8), Map.entry("numeric", NUMERIC),
            Map.entry("bool", BOOL), Map.entry("text", TEXT), Map.entry("varchar", VARCHAR),
            Map.entry("bpchar", BPCHAR), Map.entry("name", NAME), Map.entry("citext", CITEXT),
            Map.entry("uuid", UUID_TYPE), Map.entry("json", JSON), Map.entry("jsonb", JSONB),
            Map.entry("date", DATE), Map.entry("time", TIME), Map.entry("timetz", TIMETZ),
            Map.entry("timestamp", TIMESTAMP), Map.entry("timestamptz", TIMESTAMPTZ), Map.entry("bytea", BYTEA));

    /**
     * The type for {@code typname}; arrays are {@code _<element>}; unknown names (enums, domains, interval, …) behave as
     * text, which is how the change feed delivers them.
     */
    static PgType of(String typname) {
        if (typname == null) return TEXT;
        PgType t = BY_NAME.get(typname);
        if (t != null) return t;
        if (typname.length() > 1 && typname.charAt(0) == '_') return new ArrayType(typname, of(typname.substring(1)));
        return new TextType(typname, typname, TextType.PLAIN);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?");

    /** Postgres trims isspace() around numeric and boolean input. */
    private static String trimSpace(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && isSpace(s.charAt(b))) b++;
        while (e > b && isSpace(s.charAt(e - 1))) e--;
        return s.substring(b, e);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u000B' || c == '\f';
    }

    /** Row values of the wrong Java type that are strings get the same treatment as filter literals. */
    private static Object castLeniently(PgType type, Object raw) {
        if (!(raw instanceof String s)) return null;
        try {
            return type.cast(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static final class IntType extends PgType {
        private final long min;
        private final long max;

        IntType(String typname, String displayName, long min, long max) {
            super(typname, displayName);
            this.min = min;
            this.max = max;
        }

        @Override
        Object cast(String text) {
            String s = trimSpace(text);
            if (!INTEGER.matcher(s).matches()) throw invalid(text);
            long v;
            try {
                v = Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw outOfRange(text);
            }
            if (v < min || v > max) throw outOfRange(text);
            return v;
        }

        private IllegalArgumentException outOfRange(String text) {
            return new IllegalArgumentException("value \"" + text + "\" is out of range for type " + displayName);
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof Long) return raw;
            if (raw instanceof Integer || raw instanceof Short || raw instanceof Byte) return ((Number) raw).longValue();
            try {
                if (raw instanceof BigInteger b) return b.longValueExact();
                if (raw instanceof BigDecimal d) return d.longValueExact();
                if (raw instanceof Double || raw instanceof Float) return new BigDecimal(raw.toString()).longValueExact();
            } catch (ArithmeticException | NumberFormatException e) {
                return null;
            }
            return castLeniently(this, raw);
        }

        @Override
        int compare(Object a, Object b) {
            return Long.compare((Long) a, (Long) b);
        }

        @Override
        boolean equal(Object a, Object b) {
            return ((Long) a).longValue() == (Long) b;
        }
    }

    static final class FloatType extends PgType {
        private final boolean single;

        FloatType(String typname, String displayName, boolean single) {
            super(typname, displayName);
            this.single = single;
        }

        @Override
        Object cast(String text) {
            String s = trimSpace(text);
            double d;
            switch (s.toLowerCase(Locale.ROOT)) {
                case "nan", "+nan", "-nan" -> d = Double.NaN;
                case "inf", "+inf", "infinity", "+infinity" -> d = Double.POSITIVE_INFINITY;
                case "-inf", "-infinity" -> d = Double.NEGATIVE_INFINITY;
                default -> {
                    if (!DECIMAL.matcher(s).matches()) throw invalid(text);
                    d = Double.parseDouble(s);
                    if (Double.isInfinite(d) || (single && Float.isInfinite((float) d))) {
                        throw new IllegalArgumentException("\"" + text + "\" is out of range for type " + displayName);
                    }
                }
            }
            return canonical(d);
        }

        private Double canonical(double d) {
            if (single) d = (float) d;
            return d == 0.0 ? 0.0 : d; // -0.0 = 0.0 in SQL; also keeps Double.equals usable for hashing
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof Number n) return canonical(n.doubleValue());
            return castLeniently(this, raw);
        }

        @Override
        int compare(Object a, Object b) {
            return floatCompare((Double) a, (Double) b);
        }
    }

    /** Postgres' float ordering: NaN equals NaN and sorts above everything. */
    static int floatCompare(double a, double b) {
        if (Double.isNaN(a)) return Double.isNaN(b) ? 0 : 1;
        if (Double.isNaN(b)) return -1;
        return a < b ? -1 : a > b ? 1 : 0;
    }

    /** numeric: a BigDecimal, or a Double for the special values NaN and ±Infinity. */
    static final class NumericType extends PgType {
        NumericType() {
            super("numeric", "numeric");
        }

        @Override
        Object cast(String text) {
            String s = trimSpace(text);
            switch (s.toLowerCase(Locale.ROOT)) {
                case "nan" -> {
                    return Double.NaN;
                }
                case "inf", "+inf", "infinity", "+infinity" -> {
                    return Double.POSITIVE_INFINITY;
                }
                case "-inf", "-infinity" -> {
                    return Double.NEGATIVE_INFINITY;
                }
                default -> {
                    if (!DECIMAL.matcher(s).matches()) throw invalid(text);
                    return new BigDecimal(s);
                }
            }
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof BigDecimal) return raw;
            if (raw instanceof Long || raw instanceof Integer || raw instanceof Short || raw instanceof Byte) {
                return BigDecimal.valueOf(((Number) raw).longValue());
            }
            if (raw instanceof BigInteger b) return new BigDecimal(b);
            if (raw instanceof Double || raw instanceof Float) {
                double d = ((Number) raw).doubleValue();
                return Double.isFinite(d) ? new BigDecimal(raw.toString()) : d;
            }
            return castLeniently(this, raw);
        }

        private static int rank(Object v) {
            if (v instanceof BigDecimal) return 1;
            double d = (Double) v;
            return Double.isNaN(d) ? 3 : d > 0 ? 2 : 0;
        }

        @Override
        int compare(Object a, Object b) {
            int ra = rank(a);
            int rb = rank(b);
            if (ra != rb) return Integer.compare(ra, rb);
            return ra == 1 ? ((BigDecimal) a).compareTo((BigDecimal) b) : 0;
        }

        @Override
        Object hashKey(Object canonical) {
            return canonical instanceof BigDecimal d ? d.stripTrailingZeros() : canonical;
        }
    }

    static final class BoolType extends PgType {
        BoolType() {
            super("bool", "boolean");
        }

        @Override
        Object cast(String text) {
            Boolean b = parseBool(trimSpace(text));
            if (b == null) throw invalid(text);
            return b;
        }

        /** Postgres' parse_bool: any unambiguous prefix of true/false/yes/no, on/off, 1/0, case-insensitive. */
        static Boolean parseBool(String s) {
            int len = s.length();
            if (len == 0) return null;
            String l = s.toLowerCase(Locale.ROOT);
            switch (l.charAt(0)) {
                case 't':
                    return "true".startsWith(l) ? Boolean.TRUE : null;
                case 'f':
                    return "false".startsWith(l) ? Boolean.FALSE : null;
                case 'y':
                    return "yes".startsWith(l) ? Boolean.TRUE : null;
                case 'n':
                    return "no".startsWith(l) ? Boolean.FALSE : null;
                case 'o':
                    // a lone "o" is ambiguous between on and off
                    if (len >= 2 && "on".startsWith(l)) return Boolean.TRUE;
                    if (len >= 2 && "off".startsWith(l)) return Boolean.FALSE;
                    return null;
                case '1':
                    return len == 1 ? Boolean.TRUE : null;
                case '0':
                    return len == 1 ? Boolean.FALSE : null;
                default:
                    return null;
            }
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof Boolean) return raw;
            if (raw instanceof String s) return parseBool(trimSpace(s));
            return null;
        }

        @Override
        int compare(Object a, Object b) {
            return Boolean.compare((Boolean) a, (Boolean) b);
        }

        @Override
        boolean isBoolean() {
            return true;
        }
    }

    /** text-like types: text, varchar, name, unknown types (enum labels, domains, …), bpchar and citext. */
    static final class TextType extends PgType {
        static final int PLAIN = 0;
        /** char(n): trailing blanks are insignificant (bpchar comparison and bpchar→text both drop them). */
        static final int BLANK_PADDED = 1;
        /** citext: every comparison, LIKE and regex ignores case (lower() on both sides). */
        static final int CASE_INSENSITIVE = 2;

        private final int mode;

        TextType(String typname, String displayName, int mode) {
            super(typname, displayName);
            this.mode = mode;
        }

        @Override
        Object cast(String text) {
            return normalize(text);
        }

        String normalize(String s) {
            if (mode == BLANK_PADDED) return stripTrailingBlanks(s);
            if (mode == CASE_INSENSITIVE) return s.toLowerCase(Locale.ROOT);
            return s;
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof String s) return normalize(s);
            // anything else (an enum object, a Character…) compares by its text, as Postgres' text output would
            return normalize(raw.toString());
        }

        @Override
        int compare(Object a, Object b) {
            return compareCodePoints((String) a, (String) b);
        }

        @Override
        boolean equal(Object a, Object b) {
            return a.equals(b);
        }

        @Override
        boolean textLike() {
            return true;
        }

        @Override
        boolean caseInsensitiveText() {
            return mode == CASE_INSENSITIVE;
        }
    }

    static String stripTrailingBlanks(String s) {
        int e = s.length();
        while (e > 0 && s.charAt(e - 1) == ' ') e--;
        return e == s.length() ? s : s.substring(0, e);
    }

    /**
     * Code point order, i.e. the order of the UTF-8 bytes, i.e. Postgres' "C" collation. Databases with a linguistic
     * collation (en_US.UTF-8 and friends) order some strings differently; filters cannot know the column's collation.
     */
    static int compareCodePoints(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char ca = a.charAt(i);
            char cb = b.charAt(i);
            if (ca != cb) {
                // String.compareTo would misplace supplementary characters (surrogates sort below U+E000..U+FFFF)
                if (Character.isSurrogate(ca) || Character.isSurrogate(cb)) {
                    return Integer.compare(a.codePointAt(i), b.codePointAt(i));
                }
                return Character.compare(ca, cb);
            }
        }
        return Integer.compare(a.length(), b.length());
    }

    static final class UuidType extends PgType {
        UuidType() {
            super("uuid", "uuid");
        }

        @Override
        Object cast(String text) {
            String c = canonicalUuid(text);
            if (c == null) throw invalid(text);
            return c;
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof String s) return canonicalUuid(s);
            if (raw instanceof UUID u) return u.toString();
            return null;
        }

        @Override
        int compare(Object a, Object b) {
            return ((String) a).compareTo((String) b); // canonical lowercase hex: string order = byte order
        }

        @Override
        boolean equal(Object a, Object b) {
            return a.equals(b);
        }
    }

    /**
     * Postgres' uuid input: 32 hex digits in any case, optionally in braces, with a hyphen allowed after any group of
     * four digits. Returns the lowercase 8-4-4-4-12 form, or {@code null}.
     */
    static String canonicalUuid(String s) {
        int n = s.length();
        if (n == 36 && isCanonicalLowerUuid(s)) return s; // the change feed's own form: no allocation
        int i = 0;
        boolean braces = n > 0 && s.charAt(0) == '{';
        if (braces) i++;
        char[] hex = new char[32];
        int digits = 0;
        while (digits < 32) {
            if (i >= n) return null;
            char c = s.charAt(i++);
            int v = Character.digit(c, 16);
            if (v < 0 || c > 'f') return null;
            hex[digits++] = Character.forDigit(v, 16);
            if (digits % 4 == 0 && digits < 32 && i < n && s.charAt(i) == '-') i++;
        }
        if (braces) {
            if (i >= n || s.charAt(i) != '}') return null;
            i++;
        }
        if (i != n) return null;
        return new String(hex, 0, 8) + '-' + new String(hex, 8, 4) + '-' + new String(hex, 12, 4) + '-'
                + new String(hex, 16, 4) + '-' + new String(hex, 20, 12);
    }

    private static boolean isCanonicalLowerUuid(String s) {
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') return false;
            } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /**
     * json and jsonb: equality is jsonb equality (key order irrelevant, numbers by value). Plain json has no {@code =}
     * in Postgres at all; Herald compares it the jsonb way rather than refusing the filter.
     */
    static final class JsonType extends PgType {
        static final ObjectMapper MAPPER = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .build();

        JsonType(String typname) {
            super(typname, typname);
        }

        @Override
        Object cast(String text) {
            try {
                JsonNode node = MAPPER.readTree(text);
                if (node == null || node.isMissingNode()) throw invalid(text);
                return node;
            } catch (JsonProcessingException e) {
                throw invalid(text);
            }
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof JsonNode) return raw;
            if (raw instanceof String) return castLeniently(this, raw);
            try {
                return MAPPER.valueToTree(raw);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        @Override
        boolean ordered() {
            return false;
        }

        @Override
        boolean equal(Object a, Object b) {
            return jsonEquals((JsonNode) a, (JsonNode) b);
        }

        @Override
        Object hashKey(Object canonical) {
            return null;
        }
    }

    static boolean jsonEquals(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
        if (a.getNodeType() != b.getNodeType()) return false;
        switch (a.getNodeType()) {
            case OBJECT -> {
                if (a.size() != b.size()) return false;
                for (Map.Entry<String, JsonNode> e : a.properties()) {
                    JsonNode other = b.get(e.getKey());
                    if (other == null || !jsonEquals(e.getValue(), other)) return false;
                }
                return true;
            }
            case ARRAY -> {
                if (a.size() != b.size()) return false;
                for (int i = 0; i < a.size(); i++) if (!jsonEquals(a.get(i), b.get(i))) return false;
                return true;
            }
            case STRING -> {
                return a.textValue().equals(b.textValue());
            }
            case BOOLEAN -> {
                return a.booleanValue() == b.booleanValue();
            }
            case NULL, MISSING -> {
                return true;
            }
            default -> {
                return a.equals(b);
            }
        }
    }

    static final class DateType extends PgType {
        DateType() {
            super("date", "date");
        }

        @Override
        Object cast(String text) {
            return PgTemporal.parseDate(text, this);
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof LocalDate) return raw;
            return castLeniently(this, raw);
        }

        @Override
        int compare(Object a, Object b) {
            return ((LocalDate) a).compareTo((LocalDate) b);
        }

        @Override
        boolean equal(Object a, Object b) {
            return a.equals(b);
        }
    }

    static final class TimeType extends PgType {
        TimeType() {
            super("time", "time without time zone");
        }

        @Override
        String inputName() {
            return "time";
        }

        @Override
        Object cast(String text) {
            return PgTemporal.parseTime(text, this);
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof LocalTime) return raw;
            return castLeniently(this, raw);
        }

        @Override
        int compare(Object a, Object b) {
            return ((LocalTime) a).compareTo((LocalTime) b);
        }

        @Override
        boolean equal(Object a, Object b) {
            return a.equals(b);
        }
    }

    /**
     * timetz compares like Postgres' timetz_cmp: by the UTC-adjusted time of day (no wrap-around), then by zone, so
     * {@code 12:00+01} and {@code 11:00+00} are not equal. OffsetTime.equals agrees with that equality.
     */
    static final class TimetzType extends PgType {
        TimetzType() {
            super("timetz", "time with time zone");
        }

        @Override
        Object cast(String text) {
            return PgTemporal.parseTimetz(text, this);
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof OffsetTime) return raw;
            return castLeniently(this, raw);
        }

        @Override
        int compare(Object a, Object b) {
            OffsetTime x = (OffsetTime) a;
            OffsetTime y = (OffsetTime) b;
            long tx = x.toLocalTime().toNanoOfDay() - x.getOffset().getTotalSeconds() * 1_000_000_000L;
            long ty = y.toLocalTime().toNanoOfDay() - y.getOffset().getTotalSeconds() * 1_000_000_000L;
            if (tx != ty) return Long.compare(tx, ty);
            // Postgres stores the zone as seconds west of UTC and sorts the larger one last
            return Integer.compare(y.getOffset().getTotalSeconds(), x.getOffset().getTotalSeconds());
        }

        @Override
        boolean equal(Object a, Object b) {
            return a.equals(b);
        }
    }

    static final class TimestampType extends PgType {
        TimestampType() {
            super("timestamp", "timestamp without time zone");
        }

        @Override
        String inputName() {
            return "timestamp";
        }

        @Override
        Object cast(String text) {
            return PgTemporal.parseTimestamp(text, this);
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof LocalDateTime) return raw;
            return castLeniently(this, raw);
        }

        @Override
        int compare(Object a, Object b) {
            return ((LocalDateTime) a).compareTo((LocalDateTime) b);
        }

        @Override
        boolean equal(Object a, Object b) {
            return a.equals(b);
        }
    }

    /** timestamptz: canonical value is the Instant, so values with different offsets compare as the same moment. */
    static final class TimestamptzType extends PgType {
        TimestamptzType() {
            super("timestamptz", "timestamp with time zone");
        }

        @Override
        Object cast(String text) {
            return PgTemporal.parseTimestamptz(text, this);
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof OffsetDateTime o) return o.toInstant();
            if (raw instanceof Instant) return raw;
            if (raw instanceof ZonedDateTime z) return z.toInstant();
            return castLeniently(this, raw);
        }

        @Override
        int compare(Object a, Object b) {
            return ((Instant) a).compareTo((Instant) b);
        }

        @Override
        boolean equal(Object a, Object b) {
            return a.equals(b);
        }
    }

    /** bytea: byte strings ordered like memcmp, shorter first on a common prefix. */
    static final class ByteaType extends PgType {
        ByteaType() {
            super("bytea", "bytea");
        }

        @Override
        Object cast(String text) {
            if (text.length() >= 2 && text.charAt(0) == '\\' && text.charAt(1) == 'x') return parseHex(text);
            return parseEscape(text);
        }

        private byte[] parseHex(String text) {
            byte[] buf = new byte[(text.length() - 2) / 2];
            int len = 0;
            int i = 2;
            while (i < text.length()) {
                char c = text.charAt(i);
                if (isSpace(c)) {
                    i++;
                    continue;
                }
                int hi = Character.digit(c, 16);
                if (hi < 0 || c > 'f') throw new IllegalArgumentException("invalid hexadecimal digit: \"" + c + "\"");
                if (i + 1 >= text.length()) {
                    throw new IllegalArgumentException("invalid hexadecimal data: odd number of digits");
                }
                char d = text.charAt(i + 1);
                int lo = Character.digit(d, 16);
                if (lo < 0 || d > 'f') throw new IllegalArgumentException("invalid hexadecimal digit: \"" + d + "\"");
                buf[len++] = (byte) (hi << 4 | lo);
                i += 2;
            }
            return Arrays.copyOf(buf, len);
        }

        private byte[] parseEscape(String text) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            byte[] out = new byte[utf8.length];
            int len = 0;
            for (int i = 0; i < utf8.length; i++) {
                byte b = utf8[i];
                if (b != '\\') {
                    out[len++] = b;
                } else if (i + 1 < utf8.length && utf8[i + 1] == '\\') {
                    out[len++] = '\\';
                    i++;
                } else if (i + 3 < utf8.length && isOctal(utf8[i + 1], '3') && isOctal(utf8[i + 2], '7')
                        && isOctal(utf8[i + 3], '7')) {
                    out[len++] = (byte) ((utf8[i + 1] - '0') << 6 | (utf8[i + 2] - '0') << 3 | (utf8[i + 3] - '0'));
                    i += 3;
                } else {
                    throw invalid(text);
                }
            }
            return Arrays.copyOf(out, len);
        }

        private static boolean isOctal(byte b, char max) {
            return b >= '0' && b <= max;
        }

        @Override
        Object coerce(Object raw) {
            if (raw instanceof byte[]) return raw;
            if (raw instanceof ByteBuffer bb) {
                byte[] copy = new byte[bb.remaining()];
                bb.duplicate().get(copy);
                return copy;
            }
            if (raw instanceof String s && s.startsWith("\\x")) return castLeniently(this, s);
            return null;
        }

        @Override
        int compare(Object a, Object b) {
            return Arrays.compareUnsigned((byte[]) a, (byte[]) b);
        }

        @Override
        boolean equal(Object a, Object b) {
            return Arrays.equals((byte[]) a, (byte[]) b);
        }

        @Override
        Object hashKey(Object canonical) {
            return ByteBuffer.wrap((byte[]) canonical);
        }
    }

    /**
     * One-dimensional arrays, compared like Postgres' array_eq / array_cmp: element by element, where two NULL elements
     * are equal and NULL sorts after any value, then by length.
     */
    static final class ArrayType extends PgType {
        final PgType element;

        ArrayType(String typname, PgType element) {
            super(typname, element.displayName + "[]");
            this.element = element;
        }

        @Override
        Object cast(String text) {
            List<String> items;
            try {
                items = PgArrayLiteral.parse(text);
            } catch (FilterException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
            List<Object> out = new ArrayList<>(items.size());
            for (String item : items) out.add(item == null ? null : element.cast(item));
            return out;
        }

        @Override
        Object coerce(Object raw) {
            Iterable<?> items;
            if (raw instanceof List<?> l) {
                items = l;
            } else if (raw instanceof Object[] arr) {
                items = Arrays.asList(arr);
            } else {
                return castLeniently(this, raw);
            }
            List<Object> out = new ArrayList<>();
            for (Object item : items) {
                if (item == null) {
                    out.add(null);
                    continue;
                }
                Object c = element.coerce(item);
                if (c == null) return null;
                out.add(c);
            }
            return out;
        }

        @Override
        boolean ordered() {
            return element.ordered();
        }

        @Override
        int compare(Object a, Object b) {
            List<?> x = (List<?>) a;
            List<?> y = (List<?>) b;
            int n = Math.min(x.size(), y.size());
            for (int i = 0; i < n; i++) {
                Object p = x.get(i);
                Object q = y.get(i);
                if (p == null || q == null) {
                    if (p != q) return p == null ? 1 : -1;
                    continue;
                }
                int c = element.compare(p, q);
                if (c != 0) return c;
            }
            return Integer.compare(x.size(), y.size());
        }

        @Override
        boolean equal(Object a, Object b) {
            List<?> x = (List<?>) a;
            List<?> y = (List<?>) b;
            if (x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) {
                Object p = x.get(i);
                Object q = y.get(i);
                if (p == null || q == null) {
                    if (p != q) return false;
                } else if (!element.equal(p, q)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        Object hashKey(Object canonical) {
            return null;
        }

        @Override
        boolean isArray() {
            return true;
        }
    }
}
