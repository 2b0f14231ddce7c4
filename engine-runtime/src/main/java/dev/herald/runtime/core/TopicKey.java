package dev.herald.runtime.core;

/**
 * A pub/sub topic: a channel name on the public or on the private side. The two sides never exchange messages,
 * even for equal names.
 */
public record TopicKey(boolean isPrivate, String name) {
    public static final String PREFIX = "realtime:";

    /**
     * Whether a topic name can be used: PostgreSQL text, where the durable replay store keeps topic names, cannot hold
     * a NUL character, and one such row would fail the whole batch it is written in.
     */
    public static boolean storable(String name) {
        return name.indexOf('\0') < 0;
    }

    /** The topic a client joins for this key ({@code realtime:<name>}). */
    public String joinTopic() {
        return PREFIX + name;
    }
}
