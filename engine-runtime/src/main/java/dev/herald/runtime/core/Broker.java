package dev.herald.runtime.core;

import dev.herald.runtime.protocol.Outbound;

/**
 * Routes a message published on a topic to every channel subscribed to it. Delivery is at-most-once and
 * fire-and-forget: {@link #publish} hands the already-encoded message to each subscriber's outbound queue and never
 * waits for a socket. Messages published by one thread reach a given subscriber in publish order. Thread-safe.
 */
public interface Broker {

    void subscribe(Channel channel);

    void unsubscribe(Channel channel);

    /**
     * Delivers {@code message} to the subscribers of {@code key}, skipping {@code except} (may be null); with
     * {@code presenceOnly} only to channels that have presence enabled.
     *
     * @return the number of channels it was handed to
     */
    int publish(TopicKey key, Outbound message, Channel except, boolean presenceOnly);

    /** Number of channels currently subscribed to {@code key}. */
    int subscribers(TopicKey key);
}
