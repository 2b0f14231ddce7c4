package dev.herald.runtime.cdc.filter;

/**
 * A {@code postgres_changes} filter could not be parsed or does not fit the table; the message is meant to reach the
 * client verbatim (as the {@code message} of the subscription's system error), so it mimics the reference server's
 * wording. Immutable, like any exception once thrown.
 */
public class FilterException extends Exception {
    private static final long serialVersionUID = 1L;

    public FilterException(String message) {
        super(message);
    }
}
