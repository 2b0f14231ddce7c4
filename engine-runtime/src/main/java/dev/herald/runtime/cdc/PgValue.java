package dev.herald.runtime.cdc;

import dev.herald.api.policy.RowPolicy;

/**
 * One non-NULL column value of a change as the change feed received it: PostgreSQL's own text output of the value and
 * the column's type. The payload encodes it from the text ({@link PgText#writeJson}), so nothing is lost on the way;
 * the typed form that filters, row policies and plugins read ({@link #typed()}) is computed on first use only, and is
 * the text itself when the value has no exact typed form (infinities, {@code 24:00:00}, unparsable JSON, ...).
 * {@link #toString()} is the text, usable as a SQL literal of the type ({@code CAST(text AS type)}).
 *
 * <p>Immutable apart from the cached typed form; safe to read from several threads.
 */
public final class PgValue {
    private static final Object UNSET = new Object();

    private final String text;
    private final PgTypeInfo type;
    private Object typed = UNSET;

    public PgValue(String text, PgTypeInfo type) {
        this.text = text;
        this.type = type;
    }

    /** PostgreSQL's text output of the value (timestamptz in the replication session's time zone). */
    public String text() {
        return text;
    }

    public PgTypeInfo type() {
        return type;
    }

    /** The value in Herald's typed row model (see {@link RowPolicy}); never throws. */
    public Object typed() {
        Object t = typed;
        if (t == UNSET) {
            t = PgText.typed(text, type);
            typed = t;
        }
        return t;
    }

    @Override
    public String toString() {
        return text;
    }
}
