package dev.herald.runtime.cdc.filter;

/**
 * How one PostgreSQL column type behaves inside a filter: how a filter literal is cast to it, how a row value (see
 * {@link RowPredicate} for the value model) is brought to the same canonical representation, and how two canonical
 * values compare. Implementations are stateless and thread-safe.
 */
abstract class PgType {
    /** The {@code pg_type.typname}, e.g. {@code int4}. */
    final String typname;
    /** The name Postgres prints for the type ({@code regtype} output), e.g. {@code integer}; used in messages. */
    final String displayName;

    PgType(String typname, String displayName) {
        this.typname = typname;
        this.displayName = displayName;
    }

    /**
     * The canonical value of filter literal {@code text}.
     *
     * @throws IllegalArgumentException with a Postgres-like message when the literal is not valid for the type
     */
    abstract Object cast(String text);

    /** The canonical value of non-null row value {@code raw}, or {@code null} when it cannot be understood. */
    abstract Object coerce(Object raw);

    /** Whether {@code < <= > >=} are defined. */
    boolean ordered() {
        return true;
    }

    /** Orders two canonical values; only called when {@link #ordered()}. */
    int compare(Object a, Object b) {
        throw new UnsupportedOperationException(typname + " is not ordered");
    }

    /** SQL {@code =} on two canonical values. */
    boolean equal(Object a, Object b) {
        return compare(a, b) == 0;
    }

    /**
     * A key whose {@code equals}/{@code hashCode} agree with {@link #equal}, so in-lists can use a hash set; {@code null}
     * when the type has no such key.
     */
    Object hashKey(Object canonical) {
        return canonical;
    }

    /** Whether LIKE and regex operators apply (the value is a string). */
    boolean textLike() {
        return false;
    }

    /** Whether LIKE / regex matching on this type ignores case (citext). */
    boolean caseInsensitiveText() {
        return false;
    }

    boolean isBoolean() {
        return false;
    }

    boolean isArray() {
        return false;
    }

    /** Shorthand for the most common cast error. */
    final IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("invalid input syntax for type " + inputName() + ": \"" + text + "\"");
    }

    /** The type name Postgres' input function uses in its messages (mostly {@link #displayName}). */
    String inputName() {
        return displayName;
    }

    @Override
    public String toString() {
        return typname;
    }
}
