package dev.herald.runtime.core;

/**
 * A pub/sub topic: a channel name on the public or on the private side. The two sides never exchange messages,
 * even for equal names.
 */
public record TopicKey(boolean isPrivate, String name) {
    public static final String PREFIX = "realtime:";

    /** The topic a client joins for this key ({@code realtime:<name>}). */
    public String joinTopic() {
        return PREFIX + name;
    }
}
