package dev.herald.runtime.cdc.filter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One parsed filter condition {@code <column>=[not.]<operator>.<value>}. Purely syntactic: nothing here knows the
 * column's type. Immutable and thread-safe.
 *
 * @param column   the column name exactly as written (not trimmed, not unquoted)
 * @param operator one of {@link FilterParser#OPERATORS}
 * @param negated  whether the {@code not.} prefix was present
 * @param value    the unquoted value; for {@code in} the Postgres array literal the reference builds from the
 *                 parenthesised list ({@code (a,b)} becomes <code>{a,b}</code>), kept so error dumps match the reference
 * @param inValues for {@code in} only: the list elements after array-literal unquoting, a {@code null} element standing
 *                 for an unquoted {@code NULL}; {@code null} for every other operator
 */
public record Condition(String column, String operator, boolean negated, String value, List<String> inValues) {

    public Condition {
        Objects.requireNonNull(column, "column");
        Objects.requireNonNull(operator, "operator");
        Objects.requireNonNull(value, "value");
        if ("in".equals(operator) != (inValues != null)) {
            throw new IllegalArgumentException("inValues must be given for the in operator and only for it");
        }
        // List.copyOf would reject the null elements that stand for NULL.
        if (inValues != null) inValues = Collections.unmodifiableList(new ArrayList<>(inValues));
    }

    /** A condition without an in-list. */
    public Condition(String column, String operator, boolean negated, String value) {
        this(column, operator, negated, value, null);
    }

    /**
     * This condition the way the reference server logs it inside subscription errors (Elixir {@code inspect} of the
     * tuple), e.g. <code>{"id", "eq", "5", false}</code>.
     */
    public String inspect() {
        return "{" + FilterParser.inspect(column) + ", " + FilterParser.inspect(operator) + ", "
                + FilterParser.inspect(value) + ", " + negated + "}";
    }
}
