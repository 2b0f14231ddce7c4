package dev.herald.plugins.analytics;

/** A batch refused as a whole; nothing of it was stored or counted. */
final class InvalidBatch extends Exception {
    private final int status;
    private final int index;

    /**
     * @param status the HTTP status (400 malformed, 403 someone else's user id, 413 too many events)
     * @param index the index of the first bad event in {@code events}, or -1 when the batch itself is bad
     * @param message what is wrong, naming the event index and field
     */
    InvalidBatch(int status, int index, String message) {
        super(message, null, false, false);
        this.status = status;
        this.index = index;
    }

    int status() {
        return status;
    }

    int index() {
        return index;
    }
}
