package dev.herald.runtime.cdc.filter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Turns parsed {@link Condition}s into a {@link RowPredicate} for one table, doing all validation, casting and pattern
 * compilation up front so evaluation per change is cheap. Semantics are those of the reference's SQL evaluation, i.e.
 * {@code <column> <op> '<value>'::<column type>}:
 * <ul>
 *   <li>{@code eq neq lt lte gt gte}: =, !=, &lt;, &lt;=, &gt;, &gt;= ({@code not.} negates the result); numbers by value,
 *       text in code point order (Postgres' "C" collation — a database using a linguistic collation may order some
 *       strings differently), uuid by canonical form, dates and times chronologically, timestamptz as instants,
 *       bytea bytewise, arrays element by element. Ordering is refused on json/jsonb.</li>
 *   <li>{@code in}: = ANY(list); an unquoted {@code NULL} element makes a non-match unknown (not delivered, negated or
 *       not). Refused on array columns.</li>
 *   <li>{@code like ilike}: SQL LIKE / ILIKE; {@code match imatch}: Postgres {@code ~} / {@code ~*} run on
 *       java.util.regex (see {@link PosixRegex} for the differences). Text-like columns only; citext always matches
 *       case-insensitively, bpchar ignores trailing blanks.</li>
 *   <li>{@code is}: IS NULL / TRUE / FALSE / UNKNOWN (non-null keywords on bool columns only); {@code not.} gives IS NOT.
 *   </li>
 *   <li>{@code isdistinct}: IS DISTINCT FROM; {@code not.} gives IS NOT DISTINCT FROM.</li>
 * </ul>
 * Any other comparison with a NULL column value is unknown and does not deliver, with or without {@code not.}. All
 * conditions must hold. As in the reference, a value containing commas (array literals such as <code>{1,2}</code>, JSON
 * objects) must be double-quoted in the filter string, or the comma separates conditions. Stateless and thread-safe.
 */
public final class FilterCompiler {
    private FilterCompiler() {
    }

    /**
     * Compiles {@code conditions} against the table's columns.
     *
     * @param conditions  from {@link FilterParser#parse}; {@code null} or empty accepts every row
     * @param columnTypes every column the subscriber may filter on → its {@code pg_type.typname} ({@code int4},
     *                    {@code _text}, …); a {@code null} type is treated as text
     * @throws FilterException naming the offending column, value or operator
     */
    public static RowPredicate compile(List<Condition> conditions, Map<String, String> columnTypes)
            throws FilterException {
        Objects.requireNonNull(columnTypes, "columnTypes");
        if (conditions == null || conditions.isEmpty()) return new Compiled(new Check[0]);
        Check[] checks = new Check[conditions.size()];
        for (int i = 0; i < checks.length; i++) checks[i] = compile(conditions.get(i), columnTypes);
        return new Compiled(checks);
    }

    private static Check compile(Condition c, Map<String, String> columnTypes) throws FilterException {
        String column = c.column();
        if (!columnTypes.containsKey(column)) throw new FilterException("invalid column for filter " + column);
        PgType type = PgTypes.of(columnTypes.get(column));
        String op = c.operator();
        boolean neg = c.negated();
        switch (op) {
            case "eq", "neq", "lt", "lte", "gt", "gte" -> {
                if ((op.startsWith("lt") || op.startsWith("gt")) && !type.ordered()) throw unsupported(op, column, type);
                return new Compare(column, type, Compare.opCode(op), cast(type, c.value(), column), neg);
            }
            case "isdistinct" -> {
                return new Distinct(column, type, cast(type, c.value(), column), neg);
            }
            case "in" -> {
                if (type.isArray()) throw unsupported(op, column, type);
                // conditions built by hand skip the parser's limit
                if (c.inValues().size() > FilterParser.MAX_IN_VALUES) {
                    throw new FilterException(FilterParser.TOO_MANY_IN_VALUES);
                }
                List<Object> values = new ArrayList<>();
                boolean hasNull = false;
                for (String v : c.inValues()) {
                    if (v == null) {
                        hasNull = true;
                    } else {
                        values.add(cast(type, v, column));
                    }
                }
                return new In(column, type, values, hasNull, neg);
            }
            case "like", "ilike" -> {
                requireText(op, type);
                String pattern = type.typname.equals("bpchar") ? PgTypes.stripTrailingBlanks(c.value()) : c.value();
                boolean ci = op.equals("ilike") || type.caseInsensitiveText();
                return new Like(column, type, LikePattern.compile(pattern, ci), neg);
            }
            case "match", "imatch" -> {
                requireText(op, type);
                boolean ci = op.equals("imatch") || type.caseInsensitiveText();
                return new Regex(column, type, PosixRegex.compile(c.value(), ci, op), neg);
            }
            case "is" -> {
                String kw = c.value();
                if (!(kw.equals("null") || kw.equals("true") || kw.equals("false") || kw.equals("unknown"))) {
                    throw new FilterException("invalid value for is filter: must be null, true, false, or unknown");
                }
                if (!kw.equals("null") && !type.isBoolean()) {
                    throw new FilterException("is " + kw + " filter requires a boolean column, got " + type.displayName);
                }
                return new Is(column, type, kw, neg);
            }
            default -> throw new FilterException("Error parsing `filter` params: [" + FilterParser.inspect(op) + ", "
                    + FilterParser.inspect(c.value()) + "]");
        }
    }

    private static Object cast(PgType type, String value, String column) throws FilterException {
        try {
            return type.cast(value);
        } catch (IllegalArgumentException e) {
            throw new FilterException(e.getMessage() + " (column " + column + ")");
        }
    }

    private static void requireText(String op, PgType type) throws FilterException {
        if (!type.textLike()) {
            throw new FilterException("operator " + op + " requires a text-compatible column type, got " + type.displayName);
        }
    }

    private static FilterException unsupported(String op, String column, PgType type) {
        return new FilterException("operator " + op + " is not supported on column " + column + " of type "
                + type.displayName);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static final class Compiled implements RowPredicate {
        private final Check[] checks;
        private final Set<String> columns;

        Compiled(Check[] checks) {
            this.checks = checks;
            Set<String> cols = new LinkedHashSet<>();
            for (Check c : checks) cols.add(c.column);
            this.columns = Collections.unmodifiableSet(cols);
        }

        @Override
        public boolean test(Map<String, Object> row) {
            for (Check c : checks) {
                Object v = row == null ? null : row.get(c.column);
                if (v == null && (row == null || !row.containsKey(c.column))) return false;
                if (!c.holds(v)) return false;
            }
            return true;
        }

        @Override
        public Set<String> columns() {
            return columns;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("RowPredicate[");
            for (int i = 0; i < checks.length; i++) sb.append(i == 0 ? "" : " AND ").append(checks[i]);
            return sb.append(']').toString();
        }
    }

    /** One compiled condition; {@link #holds} is true only when the SQL result is TRUE. */
    private abstract static class Check {
        final String column;
        final PgType type;
        final boolean negated;

        Check(String column, PgType type, boolean negated) {
            this.column = column;
            this.type = type;
            this.negated = negated;
        }

        /** {@code value} is the row's value, {@code null} for SQL NULL. */
        abstract boolean holds(Object value);

        @Override
        public String toString() {
            return (negated ? "NOT " : "") + getClass().getSimpleName() + "(" + column + ":" + type + ")";
        }
    }

    private static final class Compare extends Check {
        private static final int EQ = 0;
        private static final int NEQ = 1;
        private static final int LT = 2;
        private static final int LTE = 3;
        private static final int GT = 4;
        private static final int GTE = 5;

        private final int op;
        private final Object literal;

        Compare(String column, PgType type, int op, Object literal, boolean negated) {
            super(column, type, negated);
            this.op = op;
            this.literal = literal;
        }

        static int opCode(String op) {
            return switch (op) {
                case "eq" -> EQ;
                case "neq" -> NEQ;
                case "lt" -> LT;
                case "lte" -> LTE;
                case "gt" -> GT;
                default -> GTE;
            };
        }

        @Override
        boolean holds(Object value) {
            if (value == null) return false;
            Object v = type.coerce(value);
            if (v == null) return false;
            boolean r = switch (op) {
                case EQ -> type.equal(v, literal);
                case NEQ -> !type.equal(v, literal);
                case LT -> type.compare(v, literal) < 0;
                case LTE -> type.compare(v, literal) <= 0;
                case GT -> type.compare(v, literal) > 0;
                default -> type.compare(v, literal) >= 0;
            };
            return r != negated;
        }
    }

    private static final class Distinct extends Check {
        private final Object literal;

        Distinct(String column, PgType type, Object literal, boolean negated) {
            super(column, type, negated);
            this.literal = literal;
        }

        @Override
        boolean holds(Object value) {
            boolean distinct;
            if (value == null) {
                distinct = true;
            } else {
                Object v = type.coerce(value);
                if (v == null) return false;
                distinct = !type.equal(v, literal);
            }
            return distinct != negated;
        }
    }

    private static final class In extends Check {
        private final Object[] values;
        /** Hash keys of {@link #values}, or null when the type has no hash key (linear scan instead). */
        private final Set<Object> keys;
        private final boolean hasNull;

        In(String column, PgType type, List<Object> values, boolean hasNull, boolean negated) {
            super(column, type, negated);
            this.values = values.toArray();
            this.hasNull = hasNull;
            Set<Object> k = new HashSet<>();
            for (Object v : values) {
                Object key = type.hashKey(v);
                if (key == null) {
                    k = null;
                    break;
                }
                k.add(key);
            }
            this.keys = k;
        }

        @Override
        boolean holds(Object value) {
            if (value == null) return false;
            Object v = type.coerce(value);
            if (v == null) return false;
            boolean found = false;
            if (keys != null) {
                found = keys.contains(type.hashKey(v));
            } else {
                for (Object candidate : values) {
                    if (type.equal(v, candidate)) {
                        found = true;
                        break;
                    }
                }
            }
            if (found) return !negated;
            // x = ANY('{…,NULL}') without a match is NULL, and NOT NULL is still NULL
            return !hasNull && negated;
        }
    }

    private static final class Like extends Check {
        private final LikePattern pattern;

        Like(String column, PgType type, LikePattern pattern, boolean negated) {
            super(column, type, negated);
            this.pattern = pattern;
        }

        @Override
        boolean holds(Object value) {
            if (value == null) return false;
            Object v = type.coerce(value);
            if (v == null) return false;
            return pattern.matches((String) v) != negated;
        }
    }

    private static final class Regex extends Check {
        private final PosixRegex regex;

        Regex(String column, PgType type, PosixRegex regex, boolean negated) {
            super(column, type, negated);
            this.regex = regex;
        }

        @Override
        boolean holds(Object value) {
            if (value == null) return false;
            Object v = type.coerce(value);
            if (v == null) return false;
            // the match budget running out reads as "no match"; fail closed for the negated form too
            return negated ? regex.findOrNull((String) v) == Boolean.FALSE : regex.find((String) v);
        }
    }

    private static final class Is extends Check {
        private static final int NULL = 0;
        private static final int TRUE = 1;
        private static final int FALSE = 2;
        private static final int UNKNOWN = 3;

        private final int keyword;

        Is(String column, PgType type, String keyword, boolean negated) {
            super(column, type, negated);
            this.keyword = switch (keyword) {
                case "null" -> NULL;
                case "true" -> TRUE;
                case "false" -> FALSE;
                default -> UNKNOWN;
            };
        }

        @Override
        boolean holds(Object value) {
            boolean r;
            if (keyword == NULL) {
                r = value == null;
            } else if (value == null) {
                r = keyword == UNKNOWN; // for booleans IS UNKNOWN is IS NULL
            } else {
                Object b = type.coerce(value);
                if (b == null) return false;
                r = keyword == TRUE ? (Boolean) b : keyword == FALSE && !(Boolean) b;
            }
            return r != negated;
        }
    }
}
