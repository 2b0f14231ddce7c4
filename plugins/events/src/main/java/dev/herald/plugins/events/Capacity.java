package dev.herald.plugins.events;

/**
 * The capacity rules, pure so they are tested apart from the database. The REST layer applies them while holding the
 * event's row lock ({@code SELECT ... FOR UPDATE}), which is what makes check-then-increment atomic.
 */
final class Capacity {
    private Capacity() {
    }

    /** Whether one more participant fits. */
    static boolean hasRoom(int participants, int capacity) {
        return participants < capacity;
    }

    /** Why a capacity change is refused, or null when {@code newCapacity} still holds everyone already joined. */
    static String refuseResize(int participants, int newCapacity) {
        return newCapacity < participants
                ? "capacity " + newCapacity + " is below the " + participants + " participants already joined"
                : null;
    }

    /**
     * Whether a committed change of an event's row moved its participant count, i.e. whether the live count must be
     * pushed. A missing old value (not expected with REPLICA IDENTITY FULL) counts as a move, so a count is never lost.
     */
    static boolean countMoved(Object oldCount, Object newCount) {
        return newCount != null && (oldCount == null || !oldCount.toString().equals(newCount.toString()));
    }
}
